import Foundation
import OrganaTestSupport
import ServiceContracts
import Testing

/// The gateway with JWT configured (real processes on loopback): HS256 tokens from the configured issuer for
/// the configured audience are accepted beside the API keys; every other token is a 401 JSON error.
extension EndToEnd {
    @Suite struct JWTTests {
        static let secret = "e2e-jwt-secret-0123456789abcdef-01234"

        static func token(_ changes: [String: Any] = [:], secret: String = JWTTests.secret) throws -> String {
            let now = Int(Date().timeIntervalSince1970)
            var claims: [String: Any] = [
                "iss": "https://issuer.test", "aud": "organa", "sub": "alice", "iat": now, "exp": now + 300,
            ]
            for (key, value) in changes { claims[key] = value }
            return try JWTMinter.token(claims: claims, secret: secret)
        }

        @Test func validTokensPassAndBadOnesGet401() async throws {
            let cluster = try ServiceCluster(
                gatewayArguments: ["--jwt-issuer", "https://issuer.test", "--jwt-audience", "organa"],
                gatewayEnvironment: ["ORGANA_JWT_SECRET": Self.secret])
            defer { cluster.stop() }
            let valid = try await cluster.request("GET", "/v1/models", token: try Self.token())
            #expect(valid.status == 200, "\(String(decoding: valid.body, as: UTF8.self))")
            #expect(try await cluster.request("GET", "/v1/models").status == 200, "API keys still work")
            let now = Int(Date().timeIntervalSince1970)
            let cases: [(String, String, String)] = [
                ("expired", try Self.token(["exp": now - 3600, "iat": now - 7200]), "expired"),
                ("wrong signature", try Self.token(secret: "not-the-secret-0123456789abcdef-0123"), "wrong signature"),
                ("wrong audience", try Self.token(["aud": "someone-else"]), "wrong audience"),
                ("wrong issuer", try Self.token(["iss": "https://evil.test"]), "wrong issuer"),
                (
                    "alg none",
                    try JWTMinter.token(claims: ["iss": "https://issuer.test"], secret: "", header: ["alg": "none"]),
                    "only HS256"
                ),
            ]
            for (name, token, reason) in cases {
                let answer = try await cluster.request("GET", "/v1/models", token: token)
                #expect(answer.status == 401, "\(name): HTTP \(answer.status)")
                let error = ServiceErrorsTests.error(answer.body)
                #expect(error?.error.code == "unauthorized", "\(name)")
                #expect(error?.error.message.contains(reason) == true, "\(name): \(error?.error.message ?? "")")
            }
        }
    }
}
