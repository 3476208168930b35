import Foundation
import OrganaTestSupport
import ServiceContracts
import Testing

/// Mesh settings per job (real processes on loopback): the mesh service makes the job's meshes with them.
extension EndToEnd {
    @Suite struct MeshSettingsTests {
        /// Faces (`f` lines) of an OBJ file.
        static func faces(_ data: Data) -> Int {
            String(decoding: data, as: UTF8.self).split(separator: "\n").filter { $0.hasPrefix("f ") }.count
        }

        @Test func meshSettingsShapeTheJobsMeshes() async throws {
            let folder = try Reference.folder()
            let ct = folder.appendingPathComponent("ct.nii.gz")
            let cluster = try ServiceCluster()
            defer { cluster.stop() }
            let job = try await cluster.submit(ct, query: Reference.query + "&meshSmoothing=0.2&meshDecimation=0.5")
            #expect(job.options.mesh == MeshSettings(smoothing: 0.2, decimation: 0.5))
            _ = try await cluster.wait(job.id, for: [.done])
            // Segmentation is untouched; the meshes are decimated to about half of `organa run`'s (default 0).
            let mask = try await cluster.request("GET", "/v1/jobs/\(job.id)/artifacts/masks/kidney.nii.gz")
            #expect(mask.body == (try Data(contentsOf: folder.appendingPathComponent("run/masks/kidney.nii.gz"))))
            for structure in ["kidney", "tumor"] {
                let mesh = try await cluster.request("GET", "/v1/jobs/\(job.id)/artifacts/meshes/\(structure).obj")
                #expect(mesh.status == 200)
                let reference = try Data(contentsOf: folder.appendingPathComponent("run/meshes/\(structure).obj"))
                let ratio = Double(Self.faces(mesh.body)) / Double(Self.faces(reference))
                #expect(ratio > 0.4 && ratio < 0.6, "\(structure): \(ratio) of the reference's faces")
            }
            let ctData = try Data(contentsOf: ct)
            for query in ["meshDecimation=1", "meshSmoothing=2", "meshSmoothing=soft"] {
                let answer = try await cluster.request("POST", "/v1/jobs?\(query)", body: ctData)
                #expect(answer.status == 400, "\(query)")
                let name = String(query.split(separator: "=")[0])
                #expect(ServiceErrorsTests.error(answer.body)?.error.message.contains(name) == true, "\(query)")
            }
        }
    }
}
