import Foundation
import OrganaTestSupport
import PostgresStore
import ServiceContracts
import ServiceSupport
import Testing

/// The job store's semantics, the same cases against both stores: SQLite (`JobStore`) and PostgreSQL.
@Suite struct JobRecordsTests {
    enum Kind: String, CaseIterable, Sendable { case sqlite, postgres }

    /// Runs `body` with a fresh store of `kind` and a way to open it again (a restarted gateway).
    static func withStore(
        _ kind: Kind, _ body: @Sendable (any JobRecords, _ reopen: () throws -> any JobRecords) async throws -> Void
    ) async throws {
        switch kind {
        case .sqlite:
            let folder = try RepositoryPaths.temporaryFolder()
            defer { try? FileManager.default.removeItem(at: folder) }
            let path = folder.appendingPathComponent("jobs.sqlite").path
            try await body(try JobStore(path: path)) { try JobStore(path: path) }
        case .postgres:
            try await TestDatabase.with { database in
                try await body(PostgresJobStore(database: database)) { PostgresJobStore(database: database) }
            }
        }
    }

    @Test(arguments: Kind.allCases) func transitionsAndEventsPersistAcrossReopen(_ kind: Kind) async throws {
        try await Self.withStore(kind) { store, reopen in
            let id = UUID().uuidString.lowercased()
            let job = try await store.create(id: id, options: JobOptions(structures: ["kidney"], preview: true))
            #expect(job.state == .queued)
            #expect(try await store.transition(id, to: .segmenting)?.state == .segmenting)
            let mask = Artifact(kind: "mask", structure: "kidney", key: "jobs/\(id)/masks/kidney.nii.gz")
            let added = try await store.appendTaskEvents(
                [.progress("m", done: 1, total: 2), .artifact(mask)], jobID: id, stage: "image", through: 2)
            #expect(added.map(\.sequence) == [3, 4])
            let reopened = try reopen()
            let found = try #require(try await reopened.job(id))
            #expect(found.state == .segmenting)
            #expect(found.options.structures == ["kidney"] && found.options.preview)
            #expect(found.artifacts.map(\.key) == ["jobs/\(id)/masks/kidney.nii.gz"])
            #expect(try await reopened.consumed(jobID: id, stage: "image") == 2)
            #expect(try await reopened.unfinished().map(\.id) == [id])
            let events = try await reopened.events(id, after: 0)
            #expect(events.map(\.type) == ["state", "state", "progress", "artifact"])
            #expect(events.map(\.sequence) == [1, 2, 3, 4])
            #expect(try await reopened.events(id, after: 3).map(\.sequence) == [4])
        }
    }

    @Test(arguments: Kind.allCases) func artifactsAreAnnouncedOnceAndTerminalStatesStay(_ kind: Kind) async throws {
        try await Self.withStore(kind) { store, _ in
            let id = UUID().uuidString.lowercased()
            _ = try await store.create(id: id, options: JobOptions())
            let key = "jobs/\(id)/meshes/kidney.obj"
            let mesh = TaskEvent.artifact(Artifact(kind: "mesh", structure: "kidney", key: key))
            #expect(try await store.appendTaskEvents([mesh], jobID: id, stage: "mesh", through: 1).count == 1)
            // A restarted mesh service runs the task again: the same artifact is not announced twice.
            #expect(try await store.appendTaskEvents([mesh], jobID: id, stage: "mesh", through: 1).isEmpty)
            #expect(try await store.transition(id, to: .done) != nil)
            #expect(try await store.transition(id, to: .failed, error: "late") == nil)
            #expect(try await store.transition(id, to: .done) == nil)
            #expect(try await store.job(id)?.state == .done)
            #expect(try await store.unfinished().isEmpty)
            #expect(try await store.counts()[.done] == 1)
            #expect(try await store.delete(id))
            #expect(try await !store.delete(id))
            #expect(try await store.job(id) == nil)
            await #expect(throws: ServiceError.self) { try await store.transition(id, to: .meshing) }
        }
    }

    /// Two stages copying events into one job at once (image and preview meshing) number them one after the
    /// other; each write signals `changes`.
    @Test(arguments: Kind.allCases) func concurrentWritersNumberEventsInOrder(_ kind: Kind) async throws {
        try await Self.withStore(kind) { store, _ in
            let id = UUID().uuidString.lowercased()
            _ = try await store.create(id: id, options: JobOptions())
            let before = store.changes.generation(id)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for stage in ["image", "preview-mesh"] {
                    group.addTask {
                        for index in 1...10 {
                            _ = try await store.appendTaskEvents(
                                [.progress(stage, done: index, total: 10)], jobID: id, stage: stage, through: index)
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await store.events(id, after: 0).map(\.sequence) == Array(1...21))
            #expect(store.changes.generation(id) == before + 20)
        }
    }
}
