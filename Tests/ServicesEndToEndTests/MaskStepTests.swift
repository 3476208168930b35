import Foundation
import NiftiIO
import OrganaTestSupport
import ServiceContracts
import ServiceSupport
import Testing

/// A mask step written in Python (standard library only, `examples/mask-step/structure_volumes.py`) joins
/// through the gateway's configuration: the gateway drives it by the mask-step contract beside meshing, it
/// verifies the gateway's signature, reads the corrected label map by key and writes its result. The job asks
/// for the preview, whose meshes come while the full models still run.
extension EndToEnd {
    @Suite struct MaskStepTests {
        @Test func aPythonStepRunsInTheJobAndItsResultIsServed() async throws {
            let ct = try Reference.folder().appendingPathComponent("ct.nii.gz")
            let script = RepositoryPaths.root.appendingPathComponent("examples/mask-step/structure_volumes.py").path
            let cluster = try ServiceCluster(maskSteps: [
                (name: "volumes", command: ["python3", script, "--port", "0"])
            ])
            defer { cluster.stop() }
            let job = try await cluster.submit(ct, query: Reference.query + "&preview=true")
            let events = try await cluster.events(job.id)
            let finished = try await cluster.job(job.id)
            #expect(events.compactMap(\.state).last == .done, "\(finished.error ?? "")")
            // The preview's meshes are announced while the full models still run: before their masks exist.
            let previewMeshes = events.indices.filter {
                events[$0].stage == "preview-mesh" && events[$0].artifact != nil
            }
            let firstMask = events.firstIndex { $0.artifact?.kind == "mask" } ?? -1
            #expect(!previewMeshes.isEmpty && previewMeshes.allSatisfy { $0 < firstMask }, "\(events.map(\.type))")
            #expect(
                previewMeshes.allSatisfy { events[$0].artifact!.key.hasPrefix("jobs/\(job.id)/preview/meshes/") })
            let key = "jobs/\(job.id)/steps/volumes/structure_volumes.json"
            #expect(events.contains { $0.artifact?.key == key && $0.stage == "volumes" })
            let (status, body) = try await cluster.request(
                "GET", "/v1/jobs/\(job.id)/artifacts/steps/volumes/structure_volumes.json")
            #expect(status == 200)
            let volumes = try JSONSerialization.jsonObject(with: body) as? [String: [String: Double]]
            // The step's counts are those of the corrected label map `organa run` writes.
            let corrected = try NiftiReader.read(
                try Reference.folder().appendingPathComponent("run/post/labels_corrected.nii.gz").path
            ).volume.converted(to: UInt8.self)
            // Each stage's live task status (the Swift services and the Python step) follows the mask-step document.
            let client = InternalClient(signer: RequestSigner(secret: ServiceCluster.secret))
            for stage in ["image", "post", "mesh", "volumes"] {
                let path = "\(TaskRoutes.tasks)/\(job.id)-\(stage)"
                let (status, body) = try await client.send("GET", base: cluster.services[stage]!.url, path: path)
                #expect(status == 200, "\(stage)")
                let problems = OpenAPIDocument.maskStep.problems(
                    body, path: "/internal/v1/tasks/{taskId}", method: "get", status: status)
                #expect(problems.isEmpty, "\(stage): \(problems)")
                let task = try JSONDecoder().decode(TaskStatus.self, from: body)
                #expect(task.state == .done && !task.events.isEmpty, "\(stage)")
                // DELETE of a finished task leaves it as it is (the gateway sends it when a job is deleted).
                let (deleted, answer) = try await client.send("DELETE", base: cluster.services[stage]!.url, path: path)
                #expect(deleted == 200, "\(stage)")
                #expect(
                    OpenAPIDocument.maskStep.problems(
                        answer, path: "/internal/v1/tasks/{taskId}", method: "delete", status: deleted
                    ).isEmpty, "\(stage)")
                #expect((try? JSONDecoder().decode(TaskStatus.self, from: answer))?.state == .done, "\(stage)")
            }
            for (name, label) in [("kidney", UInt8(1)), ("tumor", UInt8(2))] {
                let count = corrected.voxels.elements.reduce(0) { $0 + ($1 == label ? 1 : 0) }
                #expect(count > 0)
                #expect(volumes?[name]?["voxels"] == Double(count), "\(name): \(String(describing: volumes))")
            }
        }
    }
}
