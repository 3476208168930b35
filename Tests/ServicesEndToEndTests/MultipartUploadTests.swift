import Foundation
import OrganaTestSupport
import ServiceContracts
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `POST /v1/jobs` with a multipart/form-data body (real processes on loopback).
extension EndToEnd {
    @Suite struct MultipartUploadTests {
        static let boundary = "organa-test-boundary-3f9a"
        static let contentType = "multipart/form-data; boundary=\(boundary)"

        /// A form: `fields` in order, then the file part (when given).
        static func form(_ fields: [(String, String)], file: Data?, filename: String = "ct.nii.gz") -> Data {
            var body = Data()
            for (name, value) in fields {
                body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n".utf8))
                body.append(Data("\(value)\r\n".utf8))
            }
            if let file {
                body.append(
                    Data(
                        "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"\(filename)\"\r\nContent-Type: application/gzip\r\n\r\n"
                            .utf8))
                body.append(file)
                body.append(Data("\r\n".utf8))
            }
            body.append(Data("--\(boundary)--\r\n".utf8))
            return body
        }

        @Test func aMultipartUploadRunsTheJobAndBadFormsGetClearErrors() async throws {
            let ct = try Data(contentsOf: Reference.folder().appendingPathComponent("ct.nii.gz"))
            let cluster = try ServiceCluster(gatewayArguments: ["--max-upload-bytes", "1200000"])
            defer { cluster.stop() }
            let headers = ["Content-Type": Self.contentType]
            let form = Self.form([("structures", "kidney,tumor"), ("mirroring", "false")], file: ct)
            let (status, body) = try await cluster.request("POST", "/v1/jobs", body: form, headers: headers)
            #expect(status == 201, "\(String(decoding: body, as: UTF8.self))")
            let job = try JSONDecoder().decode(JobResource.self, from: body)
            #expect(job.options.structures == ["kidney", "tumor"] && !job.options.mirroring)
            // The stored CT is the file part, byte for byte; the job gives what `organa run` gives.
            let stored = cluster.store.appendingPathComponent("jobs/\(job.id)/input/ct.nii.gz")
            #expect(try Data(contentsOf: stored) == ct)
            let done = try await cluster.wait(job.id, for: [.done])
            #expect(done.artifacts.filter { $0.kind == "mesh" }.count == 2)
            try await Reference.expectIdentical(cluster, job: job.id)

            let cases: [(String, Data, String, Int, String, String)] = [
                ("no boundary", form, "multipart/form-data", 400, "badRequest", "boundary"),
                (
                    "no closing boundary", form.dropLast(Self.boundary.utf8.count + 6), Self.contentType, 400,
                    "badRequest", "closing boundary"
                ),
                (
                    "no file part", Self.form([("structures", "kidney")], file: nil), Self.contentType, 400,
                    "badRequest", "no file part"
                ),
                ("empty file", Self.form([], file: Data()), Self.contentType, 400, "badRequest", "empty"),
                (
                    "unknown field", Self.form([("colour", "red")], file: ct), Self.contentType, 400, "badRequest",
                    "colour"
                ),
                (
                    "oversized field", Self.form([("structures", String(repeating: "k", count: 5000))], file: ct),
                    Self.contentType, 400, "badRequest", "longer than"
                ),
                (
                    "not a NIfTI", Self.form([], file: Data("not a nifti".utf8)), Self.contentType, 400, "badRequest",
                    "not a readable NIfTI"
                ),
                (
                    "oversized", Self.form([], file: Data(count: 1_300_000)), Self.contentType, 413,
                    "payloadTooLarge", "limit"
                ),
            ]
            for (name, data, type, status, code, message) in cases {
                let answer = try await cluster.request("POST", "/v1/jobs", body: data, headers: ["Content-Type": type])
                #expect(answer.status == status, "\(name): HTTP \(answer.status)")
                let error = ServiceErrorsTests.error(answer.body)
                #expect(error?.error.code == code, "\(name): \(String(decoding: answer.body, as: UTF8.self))")
                #expect(error?.error.message.contains(message) == true, "\(name): \(error?.error.message ?? "")")
            }
            // Only the accepted job is stored.
            let jobs = try FileManager.default.contentsOfDirectory(
                atPath: cluster.store.appendingPathComponent("jobs").path)
            #expect(jobs == [job.id])
        }
    }
}
