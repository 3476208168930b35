import Foundation
import OrganaTestSupport
import ServiceContracts
import ServiceSupport
import Testing

@Suite struct JobStoreTests {
    @Test func transitionsAndEventsPersistAcrossReopen() throws {
        let folder = try RepositoryPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("jobs.sqlite").path
        let id = UUID().uuidString.lowercased()
        do {
            let store = try JobStore(path: path)
            let job = try store.create(id: id, options: JobOptions(structures: ["kidney"], preview: true))
            #expect(job.state == .queued)
            #expect(try store.transition(id, to: .segmenting)?.state == .segmenting)
            let mask = Artifact(kind: "mask", structure: "kidney", key: "jobs/\(id)/masks/kidney.nii.gz")
            let added = try store.appendTaskEvents(
                [.progress("m", done: 1, total: 2), .artifact(mask)], jobID: id, stage: "image", through: 2)
            #expect(added.map(\.sequence) == [3, 4])
        }
        let reopened = try JobStore(path: path)
        let job = try #require(try reopened.job(id))
        #expect(job.state == .segmenting)
        #expect(job.options.structures == ["kidney"] && job.options.preview)
        #expect(job.artifacts.map(\.key) == ["jobs/\(id)/masks/kidney.nii.gz"])
        #expect(try reopened.consumed(jobID: id, stage: "image") == 2)
        #expect(try reopened.unfinished().map(\.id) == [id])
        let events = try reopened.events(id, after: 0)
        #expect(events.map(\.type) == ["state", "state", "progress", "artifact"])
        #expect(events.map(\.sequence) == [1, 2, 3, 4])
        #expect(try reopened.events(id, after: 3).map(\.sequence) == [4])
    }

    @Test func artifactsAreAnnouncedOnceAndTerminalStatesStay() throws {
        let folder = try RepositoryPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try JobStore(path: folder.appendingPathComponent("jobs.sqlite").path)
        let id = UUID().uuidString.lowercased()
        _ = try store.create(id: id, options: JobOptions())
        let mesh = TaskEvent.artifact(Artifact(kind: "mesh", structure: "kidney", key: "jobs/\(id)/meshes/kidney.obj"))
        #expect(try store.appendTaskEvents([mesh], jobID: id, stage: "mesh", through: 1).count == 1)
        // A restarted mesh service runs the task again: the same artifact is not announced twice.
        #expect(try store.appendTaskEvents([mesh], jobID: id, stage: "mesh", through: 1).isEmpty)
        #expect(try store.transition(id, to: .done) != nil)
        #expect(try store.transition(id, to: .failed, error: "late") == nil)
        #expect(try store.job(id)?.state == .done)
        #expect(try store.unfinished().isEmpty)
        #expect(try store.counts()[.done] == 1)
        #expect(try store.delete(id))
        #expect(try store.job(id) == nil)
        #expect(throws: ServiceError.self) { try store.transition(id, to: .meshing) }
    }

    /// Options recorded before mesh settings existed decode with `organa run`'s mesh defaults.
    @Test func optionsWithoutMeshSettingsGetTheDefaults() throws {
        let old =
            #"{"structures":["kidney"],"pins":{},"preview":false,"mirroring":true,"tileStep":0.5,"segmentOnly":false}"#
        let options = try JSONDecoder().decode(JobOptions.self, from: Data(old.utf8))
        #expect(options.mesh == MeshSettings(smoothing: 0.5, decimation: 0) && options.structures == ["kidney"])
        let custom = JobOptions(mesh: MeshSettings(smoothing: 0.1, decimation: 0.3))
        #expect(try JSONDecoder().decode(JobOptions.self, from: JobStore.encode(custom)) == custom)
    }
}
