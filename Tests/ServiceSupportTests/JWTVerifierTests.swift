import Foundation
import OrganaTestSupport
import ServiceSupport
import Testing

/// HS256 bearer JWTs: a published vector, then every refusal with its reason.
@Suite struct JWTVerifierTests {
    static let secret = "jwt-test-secret-0123456789abcdef-0123"
    static let verifier = JWTVerifier(
        configuration: JWTConfiguration(secret: secret, issuer: "https://issuer.test", audience: "organa"))
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func claims(_ changes: [String: Any] = [:]) -> [String: Any] {
        var claims: [String: Any] = [
            "iss": "https://issuer.test", "aud": "organa", "sub": "alice", "exp": 1_800_000_600,
            "iat": 1_800_000_000,
        ]
        for (key, value) in changes { claims[key] = value }
        return claims
    }

    /// RFC 7515 Appendix A.1: the HS256 example (its key is the JWK's base64url `k`; it has no `aud`).
    @Test func theRFC7515ExampleVerifies() throws {
        let k = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"
        var base64 = k.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        var configuration = JWTConfiguration(secret: "", issuer: "joe", audience: nil)
        configuration.secret = Array(try #require(Data(base64Encoded: base64)))
        let token =
            "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
            + ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
            + ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        let claims = try JWTVerifier(configuration: configuration).verify(
            token, now: Date(timeIntervalSince1970: 1_300_819_000))
        #expect(claims.issuer == "joe" && claims.expiresAt == Date(timeIntervalSince1970: 1_300_819_380))
        // One flipped signature character: refused.
        #expect(throws: ServiceError.self) {
            try JWTVerifier(configuration: configuration).verify(
                String(token.dropLast()) + "Y", now: Date(timeIntervalSince1970: 1_300_819_000))
        }
    }

    @Test func aValidTokenIsAccepted() throws {
        let token = try JWTMinter.token(claims: Self.claims(["aud": ["other", "organa"]]), secret: Self.secret)
        let claims = try Self.verifier.verify(token, now: Self.now)
        #expect(claims.subject == "alice" && claims.issuer == "https://issuer.test")
        // Within the leeway of 60 s past exp, and before nbf by less than it.
        #expect(throws: Never.self) {
            try Self.verifier.verify(
                try JWTMinter.token(claims: Self.claims(["nbf": 1_800_000_030]), secret: Self.secret),
                now: Date(timeIntervalSince1970: 1_800_000_000))
        }
        #expect(throws: Never.self) { try Self.verifier.verify(token, now: Date(timeIntervalSince1970: 1_800_000_650)) }
    }

    /// A bad token by name: its claims, signing secret, header, and the reason the refusal must give.
    static func badToken(
        _ name: String
    ) -> (claims: [String: Any], secret: String, header: [String: Any], reason: String) {
        let hs256: [String: Any] = ["alg": "HS256", "typ": "JWT"]
        switch name {
        case "expired": return (claims(["exp": 1_799_999_000]), secret, hs256, "expired")
        case "wrong signature": return (claims(), "another-secret-0123456789abcdef-0123", hs256, "wrong signature")
        case "wrong audience": return (claims(["aud": "someone-else"]), secret, hs256, "wrong audience")
        case "no audience": return (claims(["aud": [String]()]), secret, hs256, "wrong audience")
        case "wrong issuer": return (claims(["iss": "https://evil.test"]), secret, hs256, "wrong issuer")
        case "no exp": return (claims(["exp": "tomorrow"]), secret, hs256, "no numeric exp")
        case "not yet valid": return (claims(["nbf": 1_800_001_000]), secret, hs256, "not valid yet")
        case "alg none": return (claims(), secret, ["alg": "none"], "only HS256")
        case "alg HS512": return (claims(), secret, ["alg": "HS512"], "only HS256")
        case "no alg": return (claims(), secret, ["typ": "JWT"], "no alg")
        default: return (claims(), secret, ["alg": "HS256", "crit": ["exp"]], "crit")
        }
    }

    @Test(arguments: [
        "expired", "wrong signature", "wrong audience", "no audience", "wrong issuer", "no exp", "not yet valid",
        "alg none", "alg HS512", "no alg", "crit",
    ])
    func badTokensAreRefusedWithTheReason(_ name: String) throws {
        let bad = Self.badToken(name)
        let token = try JWTMinter.token(claims: bad.claims, secret: bad.secret, header: bad.header)
        do {
            _ = try Self.verifier.verify(token, now: Self.now)
            Issue.record("\(name): accepted")
        } catch {
            #expect(error.code == .unauthorized && error.message.contains(bad.reason), "\(name): \(error)")
        }
    }

    @Test(arguments: ["a.b", "a.b.c.d", "!!!.e30.sig", "e30.e30.x", "bm90IGpzb24.e30.x", "e30=.e30.x"])
    func malformedTokensAreRefused(_ token: String) {
        #expect(throws: ServiceError.self) { try Self.verifier.verify(token, now: Self.now) }
    }

    @Test func configurationListsEveryProblem() {
        let problems = JWTConfiguration(secret: "short", issuer: "", audience: "").problems
        #expect(problems.count == 3, "\(problems)")
    }
}
