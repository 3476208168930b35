import Foundation
import OrganaTestSupport
import ServiceSupport
import Testing

/// How the S3 client treats answers: 5xx and 429 are retried, other 4xx end at once with S3's code and message,
/// a refused part aborts its multipart upload.
/// A stand-in server (Python's http.server) answers from a script of statuses and counts the requests.
@Suite struct S3RetryTests {
    /// Answers each request (its body read first) with the next status of argv[1] (the last one repeats): an S3
    /// error body, or on success an ETag and an UploadId (299: a success whose body ends before its
    /// Content-Length, the connection closed, as a transfer broken off); prints its port, then the requests it saw
    /// (`METHOD path` joined by `|`) when stdin closes.
    static let server = """
        import http.server, sys, threading
        statuses = [int(s) for s in sys.argv[1].split(",")]
        seen = []
        class Handler(http.server.BaseHTTPRequestHandler):
            def answer(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status = statuses[min(len(seen), len(statuses) - 1)]
                seen.append(self.command + " " + self.path)
                body = b"<Result><UploadId>u-1</UploadId></Result>" if status < 300 else \
                    b"<Error><Code>Code%d</Code><Message>message %d</Message></Error>" % (status, status)
                self.send_response(200 if status == 299 else status)
                self.send_header("ETag", '"e"')
                self.send_header("Content-Length", str(len(body) + (100 if status == 299 else 0)))
                if status == 299: self.close_connection = True
                self.end_headers()
                if self.command != "HEAD": self.wfile.write(body)
            do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = answer
            def log_message(self, *args): pass
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        print(server.server_address[1], flush=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        sys.stdin.read()
        print("|".join(seen), flush=True)
        """

    /// Runs `body` against a server answering `statuses`; the requests it saw (`METHOD path`).
    static func withServer(
        _ statuses: [Int], _ body: (S3Client) async throws -> Void
    ) async throws -> [String] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", server, statuses.map(String.init).joined(separator: ",")]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        let lines = LineReader(output.fileHandleForReading)
        let port = try #require(Int(lines.next() ?? ""))
        var configuration = S3Configuration(
            endpoint: URL(string: "http://127.0.0.1:\(port)")!, bucket: "organa-test", accessKeyID: "id",
            secretAccessKey: "secret")
        configuration.attempts = 4
        configuration.firstRetryDelay = 0.01
        configuration.multipartThreshold = 5 << 20
        configuration.partBytes = 5 << 20
        do {
            try await body(S3Client(configuration: configuration))
        } catch {
            try input.fileHandleForWriting.close()
            process.waitUntilExit()
            throw error
        }
        try input.fileHandleForWriting.close()
        let seen = lines.next() ?? ""
        process.waitUntilExit()
        return seen.split(separator: "|").map(String.init)
    }

    @Test(arguments: [503, 500, 429])
    func transientAnswersAreRetried(status: Int) async throws {
        let requests = try await Self.withServer([status, status, 200]) { client in
            let exists = try await client.exists("jobs/x/labels.nii.gz")
            #expect(exists)
        }
        #expect(requests.count == 3)
    }

    @Test func persistentFailuresEndUnavailableAfterEveryTry() async throws {
        let requests = try await Self.withServer([503]) { client in
            let error = await #expect(throws: ServiceError.self) { try await client.delete("jobs/x/a.obj") }
            #expect(error?.code == .unavailable && error?.message.contains("after 4 tries: HTTP 503") == true)
        }
        #expect(requests.count == 4)
    }

    @Test func otherClientErrorsEndAtOnceWithS3sCodeAndMessage() async throws {
        let requests = try await Self.withServer([400]) { client in
            let error = await #expect(throws: ServiceError.self) { try await client.delete("jobs/x/a.obj") }
            #expect(error?.code == .storage)
            #expect(error?.message.contains("'jobs/x/a.obj'") == true)
            #expect(error?.message.contains("HTTP 400 Code400: message 400") == true, "\(String(describing: error))")
        }
        #expect(requests.count == 1)
    }

    /// A body cut short of its Content-Length is fetched again; one that stays short ends `.unavailable`, never
    /// as a short file.
    @Test func aDownloadCutShortIsFetchedAgain() async throws {
        let folder = try RepositoryPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("back.bin")
        let requests = try await Self.withServer([299, 299, 200]) { client in
            try await client.download("jobs/x/labels.nii.gz", to: file)
        }
        #expect(requests.count == 3)
        #expect(try String(contentsOf: file, encoding: .utf8) == "<Result><UploadId>u-1</UploadId></Result>")
        _ = try await Self.withServer([299]) { client in
            let error = await #expect(throws: ServiceError.self) {
                try await client.download("jobs/x/labels.nii.gz", to: file)
            }
            #expect(error?.code == .unavailable, "\(String(describing: error))")
        }
    }

    /// A part refused: the upload is aborted (DELETE with its uploadId) and the error names the key.
    @Test func aFailedPartAbortsTheMultipartUpload() async throws {
        let folder = try RepositoryPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("six.bin")
        try Data(count: 6 << 20).write(to: file)
        let requests = try await Self.withServer([200, 200, 403, 204]) { client in
            let error = await #expect(throws: ServiceError.self) { try await client.upload(file, as: "jobs/x/ct.nii") }
            #expect(error?.message.contains("'jobs/x/ct.nii'") == true && error?.message.contains("Code403") == true)
        }
        #expect(
            requests == [
                "POST /organa-test/jobs/x/ct.nii?uploads=",
                "PUT /organa-test/jobs/x/ct.nii?partNumber=1&uploadId=u-1",
                "PUT /organa-test/jobs/x/ct.nii?partNumber=2&uploadId=u-1",
                "DELETE /organa-test/jobs/x/ct.nii?uploadId=u-1",
            ])
    }
}

/// Lines of a pipe, read a byte at a time (the server's two short lines).
final class LineReader {
    let handle: FileHandle

    init(_ handle: FileHandle) { self.handle = handle }

    func next() -> String? {
        var bytes: [UInt8] = []
        while let byte = try? handle.read(upToCount: 1), let first = byte.first {
            if first == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(first)
        }
        return bytes.isEmpty ? nil : String(decoding: bytes, as: UTF8.self)
    }
}
