import Foundation
import OrganaTestSupport
import ServiceContracts
import ServiceSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Bad requests get a clear 4xx and the one JSON error shape, and leave nothing behind.
extension EndToEnd {
    @Suite struct ServiceErrorsTests {
        static func error(_ body: Data) -> ErrorBody? { try? JSONDecoder().decode(ErrorBody.self, from: body) }

        @Test func badRequestsGetClear4xxJSONErrors() async throws {
            let ct = try Reference.folder().appendingPathComponent("ct.nii.gz")
            let cluster = try ServiceCluster(gatewayArguments: ["--max-upload-bytes", "1200000"])
            defer { cluster.stop() }
            let ctData = try Data(contentsOf: ct)
            let unknown = UUID().uuidString.lowercased()
            let cases: [(String, String, String, Data?, String?, Int, String, String)] = [
                ("missing token", "GET", "/v1/models", nil, nil, 401, "unauthorized", "missing bearer token"),
                ("wrong token", "GET", "/v1/models", nil, "not-the-key-0123456789", 401, "unauthorized", "invalid"),
                ("unknown job", "GET", "/v1/jobs/\(unknown)", nil, ServiceCluster.apiKey, 404, "notFound", unknown),
                (
                    "not a job id", "GET", "/v1/jobs/..%2F..%2Fetc", nil, ServiceCluster.apiKey, 404, "notFound",
                    "no job"
                ),
                (
                    "unknown events", "GET", "/v1/jobs/\(unknown)/events", nil, ServiceCluster.apiKey, 404, "notFound",
                    "no job"
                ),
                (
                    "malformed upload", "POST", "/v1/jobs", Data("not a nifti".utf8), ServiceCluster.apiKey, 400,
                    "badRequest",
                    "not a readable NIfTI"
                ),
                ("empty upload", "POST", "/v1/jobs", Data(), ServiceCluster.apiKey, 400, "badRequest", "empty"),
                (
                    "oversized body", "POST", "/v1/jobs", Data(count: 1_500_000), ServiceCluster.apiKey, 413,
                    "payloadTooLarge", "limit"
                ),
                (
                    "missing model", "POST", "/v1/jobs?pin=kidney-tumor=9", ctData, ServiceCluster.apiKey, 422,
                    "unprocessable", "no version 9"
                ),
                (
                    "unknown structure", "POST", "/v1/jobs?structures=spleen", ctData, ServiceCluster.apiKey, 400,
                    "badRequest", "spleen"
                ),
                (
                    "unknown option", "POST", "/v1/jobs?colour=red", ctData, ServiceCluster.apiKey, 400, "badRequest",
                    "colour"
                ),
            ]
            for (name, method, path, body, token, status, code, message) in cases {
                let answer = try await cluster.request(method, path, body: body, token: token)
                #expect(answer.status == status, "\(name): HTTP \(answer.status)")
                let error = Self.error(answer.body)
                #expect(error?.error.code == code, "\(name): \(String(decoding: answer.body, as: UTF8.self))")
                #expect(error?.error.message.contains(message) == true, "\(name): \(error?.error.message ?? "")")
            }
            // Nothing was stored or recorded for the refused uploads.
            let jobs = cluster.store.appendingPathComponent("jobs")
            #expect((try? FileManager.default.contentsOfDirectory(atPath: jobs.path))?.isEmpty ?? true)
            let metrics = try await cluster.request("GET", "/metrics", token: nil)
            let text = String(decoding: metrics.body, as: UTF8.self)
            #expect(text.contains("organa_jobs{state=\"queued\"} 0"), "\(text)")
            #expect(text.contains("organa_jobs{state=\"done\"} 0"))
        }

        /// Internal services take only calls the gateway signed.
        @Test func internalServicesRefuseUnsignedCalls() async throws {
            let cluster = try ServiceCluster()
            defer { cluster.stop() }
            for name in ["image", "post", "mesh"] {
                let url = cluster.services[name]!.url.appendingPathComponent("internal/v1/tasks/x")
                var request = URLRequest(url: url)
                request.httpMethod = "PUT"
                request.httpBody = Data(#"{"jobID":"x","inputs":{},"outputPrefix":"jobs/x/","options":{}}"#.utf8)
                let (body, response) = try await URLSession.shared.data(for: request)
                #expect((response as? HTTPURLResponse)?.statusCode == 403, "\(name)")
                #expect(Self.error(body)?.error.code == "forbidden")
                let problems = OpenAPIDocument.maskStep.problems(
                    body, path: "/internal/v1/tasks/{taskId}", method: "put", status: 403)
                #expect(problems.isEmpty, "\(problems)")
                request.setValue(
                    String(Int(Date().timeIntervalSince1970)), forHTTPHeaderField: InternalHeaders.timestamp)
                request.setValue(String(repeating: "0", count: 64), forHTTPHeaderField: InternalHeaders.signature)
                let (_, forged) = try await URLSession.shared.data(for: request)
                #expect((forged as? HTTPURLResponse)?.statusCode == 403, "\(name) forged")
                let (_, health) = try await URLSession.shared.data(
                    from: cluster.services[name]!.url.appendingPathComponent("health"))
                #expect((health as? HTTPURLResponse)?.statusCode == 200)
                try await Self.checkLongPollParameters(cluster.services[name]!.url, name: name)
            }
        }

        /// Signed status calls with long-poll parameters: malformed ones are 400s naming them; an unknown task is
        /// a 404 at once, whatever the wait.
        static func checkLongPollParameters(_ base: URL, name: String) async throws {
            let client = InternalClient(signer: RequestSigner(secret: ServiceCluster.secret))
            let path = "/internal/v1/tasks/x"
            for (query, word) in [("wait=soon", "wait"), ("wait=-1", "wait"), ("after=-2&wait=1", "after")] {
                let (status, body) = try await client.send("GET", base: base, path: "\(path)?\(query)")
                #expect(status == 400, "\(name) ?\(query)")
                #expect(error(body)?.error.message.contains(word) == true, "\(name) ?\(query)")
            }
            let start = Date()
            let (status, _) = try await client.send("GET", base: base, path: "\(path)?after=0&wait=20")
            #expect(status == 404 && Date().timeIntervalSince(start) < 5, "\(name): an unknown task is not waited on")
        }

        /// A 256 MiB body streams to storage: the gateway's peak RSS grows by far less than the body (and the
        /// refused upload leaves nothing behind).
        @Test func uploadsStreamWithoutGrowingTheGateway() async throws {
            let cluster = try ServiceCluster()
            defer { cluster.stop() }
            let file = cluster.folder.appendingPathComponent("big.nii")
            #expect(FileManager.default.createFile(atPath: file.path, contents: nil))
            let handle = try FileHandle(forWritingTo: file)
            try handle.truncate(atOffset: 256 << 20)
            try handle.close()
            let pid = cluster.services["gateway"]!.process.processIdentifier
            let before = try Self.peakRSS(pid)
            let curl = Process()
            curl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            curl.arguments = [
                "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H",
                "Authorization: Bearer \(ServiceCluster.apiKey)",
                "-H", "Content-Type: application/octet-stream", "-T", file.path, "-X", "POST",
                cluster.gateway.appendingPathComponent("v1/jobs").absoluteString,
            ]
            #expect(try Self.run(curl) == "400", "a zero-filled body is not NIfTI")
            let grown = try Self.peakRSS(pid) - before
            #expect(grown < 48 << 20, "gateway peak RSS grew by \(grown) bytes for a 256 MiB upload")
            // The same file as a multipart form (curl streams it from disk): parsed as it arrives, never held.
            let form = Process()
            form.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            form.arguments = [
                "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-H",
                "Authorization: Bearer \(ServiceCluster.apiKey)", "-F", "structures=kidney",
                "-F", "file=@\(file.path);type=application/octet-stream",
                cluster.gateway.appendingPathComponent("v1/jobs").absoluteString,
            ]
            #expect(try Self.run(form) == "400", "a zero-filled file part is not NIfTI")
            let grownAfterForm = try Self.peakRSS(pid) - before
            #expect(grownAfterForm < 48 << 20, "gateway peak RSS grew by \(grownAfterForm) bytes for a 256 MiB form")
            let jobs = cluster.store.appendingPathComponent("jobs")
            #expect((try? FileManager.default.contentsOfDirectory(atPath: jobs.path))?.isEmpty ?? true)
        }

        /// Runs a curl process; what it wrote on stdout.
        static func run(_ curl: Process) throws -> String {
            let output = Pipe()
            curl.standardOutput = output
            try curl.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            curl.waitUntilExit()
            return text
        }

        /// VmHWM of a process, in bytes.
        static func peakRSS(_ pid: Int32) throws -> Int {
            let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
            let line = status.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
            return (Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0)
                * 1024
        }
    }
}
