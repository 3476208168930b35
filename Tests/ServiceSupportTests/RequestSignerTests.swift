import Foundation
import ServiceSupport
import Testing

@Suite struct RequestSignerTests {
    /// RFC 4231 test case 2 and the SHA-256 of "abc" (FIPS 180-2).
    @Test func digestsMatchPublishedVectors() {
        #expect(
            RequestSigner.hmacHex(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(
            RequestSigner.sha256Hex(Array("abc".utf8))
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func onlyTheRightSignatureInTimePasses() throws {
        let signer = RequestSigner(secret: "a-secret-of-sixteen-bytes")
        let body = Array(#"{"jobID":"x"}"#.utf8)
        let now = Date()
        let timestamp = String(Int(now.timeIntervalSince1970))
        let signature = signer.signature(method: "PUT", path: "/internal/v1/tasks/x", timestamp: timestamp, body: body)
        try signer.verify(
            method: "PUT", path: "/internal/v1/tasks/x", timestamp: timestamp, signature: signature, body: body,
            now: now)
        let cases: [(String, String, String?, String?, [UInt8])] = [
            ("PUT", "/internal/v1/tasks/y", timestamp, signature, body),  // another path
            ("GET", "/internal/v1/tasks/x", timestamp, signature, body),  // another method
            ("PUT", "/internal/v1/tasks/x", timestamp, signature, body + [0x20]),  // another body
            ("PUT", "/internal/v1/tasks/x", nil, signature, body),  // unsigned
            ("PUT", "/internal/v1/tasks/x", timestamp, nil, body),
            ("PUT", "/internal/v1/tasks/x", String(Int(now.timeIntervalSince1970) - 3600), signature, body),  // stale
        ]
        for (method, path, time, given, payload) in cases {
            #expect(throws: ServiceError.self) {
                try signer.verify(
                    method: method, path: path, timestamp: time, signature: given, body: payload, now: now)
            }
        }
        let other = RequestSigner(secret: "another-secret-of-16-bytes")
        #expect(throws: ServiceError.self) {
            try other.verify(
                method: "PUT", path: "/internal/v1/tasks/x", timestamp: timestamp, signature: signature, body: body,
                now: now)
        }
    }

    @Test func configurationListsEveryProblem() {
        let configuration = ServiceConfiguration(
            host: "", port: 70000, storeRoot: URL(fileURLWithPath: "/tmp"), secret: "short")
        #expect(configuration.problems.count == 3)
    }
}
