import Foundation
import OrganaTestSupport
import ServiceContracts
import Testing

extension EndToEnd {
    /// The web viewer (issue 11): its gateway routes on live processes, each answer checked against
    /// `api/gateway.openapi.json`, and the page itself in headless Chromium against `organa serve all`.
    @Suite struct ViewerTests {
        /// The page and its scripts need no token; a job starts from the built-in phantom sample, which is the
        /// tests' phantom; the job's input CT comes back byte for byte; `--sample NAME=PATH` adds a sample.
        @Test func viewerFilesSampleJobAndInputCT() async throws {
            let extra = RepositoryPaths.root.appendingPathComponent("Samples/sample-ct.nii.gz").path
            let cluster = try ServiceCluster(gatewayArguments: ["--sample", "small=\(extra)"])
            defer { cluster.stop() }
            for path in ["/viewer", "/viewer/app.js", "/viewer/style.css"] {
                #expect(try await cluster.request("GET", path, token: nil).status == 200, "\(path)")
            }
            #expect(try await cluster.request("GET", "/viewer/missing.js", token: nil).status == 404)
            let (status, body) = try await cluster.request(
                "POST", "/v1/jobs?sample=phantom&structures=kidney,tumor&mirroring=false&segmentOnly=true")
            #expect(status == 201, "\(String(decoding: body, as: UTF8.self))")
            let job = try JSONDecoder().decode(JobResource.self, from: body)
            _ = try await cluster.wait(job.id, for: [.done])
            let input = try await cluster.request("GET", "/v1/jobs/\(job.id)/input")
            #expect(input.status == 200)
            let phantom = try Data(contentsOf: Reference.folder().appendingPathComponent("ct.nii.gz"))
            #expect(input.body == phantom, "the phantom sample is not `organa phantom --seed 9002` at 128×128×60")
            let unknown = try await cluster.request("POST", "/v1/jobs?sample=nothing")
            #expect(unknown.status == 400)
            #expect(String(decoding: unknown.body, as: UTF8.self).contains("known: phantom, small"))
            #expect(try await cluster.request("GET", "/v1/jobs/\(job.id)/input", token: nil).status == 401)
            #expect(try await cluster.request("GET", "/v1/jobs/\(UUID())/input").status == 404)
        }

        /// `tools/viewer/viewer_check.py`: a phantom job run through the page's controls in headless Chromium,
        /// screenshots checked pixel by pixel (mesh colours in the 3D view, CT grey and label overlay in all three
        /// slice orientations), the wrong-key message, preview meshes replaced, volumes, fat, OBJ downloads.
        /// Screenshots stay in the folder it prints (`$ORGANA_VIEWER_SCREENSHOTS` when set).
        @Test func phantomJobInHeadlessChromium() throws {
            var arguments = ["tools/viewer/viewer_check.py", "--organa", ServiceCluster.executable.path]
            if let folder = ProcessInfo.processInfo.environment["ORGANA_VIEWER_SCREENSHOTS"] {
                arguments += ["--out", folder]
            }
            let (status, output) = try Self.python(arguments)
            let result = try JSONSerialization.jsonObject(with: output) as? [String: Any] ?? [:]
            let problems =
                result["problems"] as? [String] ?? ["no JSON result: \(String(decoding: output, as: UTF8.self))"]
            #expect(
                status == 0 && problems.isEmpty, "viewer check failed: \(problems); see \(result["screenshots"] ?? "")")
            let figures = result["figures"] as? [String: Any] ?? [:]
            let mesh = figures["meshPixels"] as? [String: Int] ?? [:]
            #expect((mesh["kidney"] ?? 0) >= 400, "kidney pixels in the 3D view: \(mesh)")
            let tumor = figures["meshPixelsKidneyHidden"] as? [String: Int] ?? [:]
            #expect((tumor["tumor"] ?? 0) >= 100, "tumour pixels with the kidney hidden: \(tumor)")
            let slices = figures["slicePixels"] as? [String: [String: Int]] ?? [:]
            for axis in ["axial", "coronal", "sagittal"] {
                #expect((slices[axis]?["kidney"] ?? 0) >= 20, "\(axis) kidney overlay: \(slices[axis] ?? [:])")
                #expect((slices[axis]?["grey"] ?? 0) >= 2000, "\(axis) CT pixels: \(slices[axis] ?? [:])")
            }
        }

        /// Runs the repository's `python3` script; returns its exit status and standard output (standard error,
        /// with the screenshot folder, goes to the test's).
        static func python(_ arguments: [String]) throws -> (Int32, Data) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3"] + arguments
            process.currentDirectoryURL = RepositoryPaths.root
            let output = Pipe()
            process.standardOutput = output
            try process.run()
            let data = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, data)
        }
    }
}
