// Bearer JWTs for the gateway (RFC 7519), HS256 only (RFC 7518 §3.2: HMAC-SHA256 with a shared secret of at
// least 32 bytes), over the system's libcrypto that already signs internal calls: why not jwt-kit is in
// docs/design/0006-jwt-hs256.md. Order of checks: the compact form and its base64url segments, the header
// (`alg` must be HS256: `none` and every other algorithm are refused, so a token cannot choose how it is
// checked; `crit` is refused), the signature (constant-time), and only then the claims: `exp` (required),
// `nbf`, `iss` and `aud` as configured, with a clock leeway. Every refusal is `.unauthorized` with the reason.
public import Foundation

/// What the gateway accepts as a JWT.
public struct JWTConfiguration: Sendable {
    /// The HS256 key (at least 32 bytes).
    public var secret: [UInt8]
    /// Required `iss`.
    public var issuer: String
    /// Required member of `aud` (nil: `aud` not checked).
    public var audience: String?
    /// Clock skew allowed on `exp` and `nbf`, in seconds.
    public var leeway: Double

    public init(secret: String, issuer: String, audience: String?, leeway: Double = 60) {
        self.secret = Array(secret.utf8)
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
    }

    /// Every problem, listed together.
    public var problems: [String] {
        var problems: [String] = []
        if secret.count < 32 { problems.append("the JWT secret must have at least 32 bytes (HS256)") }
        if issuer.isEmpty { problems.append("JWT needs an issuer (--jwt-issuer)") }
        if audience?.isEmpty == true { problems.append("the JWT audience must not be empty") }
        return problems
    }
}

/// The claims of a verified token that the gateway uses.
public struct JWTClaims: Sendable, Hashable {
    public var subject: String?
    public var issuer: String
    public var expiresAt: Date
}

public struct JWTVerifier: Sendable {
    public let configuration: JWTConfiguration

    public init(configuration: JWTConfiguration) { self.configuration = configuration }

    /// Whether `token` has the compact JWS form (three dot-separated segments) and so is meant as a JWT.
    public static func looksLikeJWT(_ token: String) -> Bool {
        token.split(separator: ".", omittingEmptySubsequences: false).count == 3
    }

    /// Verifies a compact HS256 JWS and its claims at `now`.
    /// - Throws: `.unauthorized` naming the reason: malformed, unsupported algorithm, wrong signature,
    ///   expired, not yet valid, wrong issuer or audience, a missing claim.
    public func verify(_ token: String, now: Date = Date()) throws(ServiceError) -> JWTClaims {
        let segments = token.split(separator: ".", omittingEmptySubsequences: false)
        guard segments.count == 3 else { throw Self.refused("is not a compact JWS (header.payload.signature)") }
        let header = try Self.object(segments[0], "header")
        guard let algorithm = header["alg"] as? String else { throw Self.refused("has no alg in its header") }
        guard algorithm == "HS256" else { throw Self.refused("uses alg \(algorithm); only HS256 is accepted") }
        if let type = header["typ"] as? String, type.uppercased() != "JWT" {
            throw Self.refused("has typ \(type), not JWT")
        }
        guard header["crit"] == nil else { throw Self.refused("has critical header parameters (crit)") }
        guard let signature = Self.decode(segments[2]) else {
            throw Self.refused("has a signature that is not base64url")
        }
        let signed = Array(token.utf8.prefix(segments[0].utf8.count + 1 + segments[1].utf8.count))
        let expected = RequestSigner.hmac(key: configuration.secret, message: signed)
        guard RequestSigner.constantTimeEqual(expected, Array(signature)) else {
            throw Self.refused("has a wrong signature")
        }
        return try claims(try Self.object(segments[1], "payload"), now: now)
    }

    /// Checks the registered claims of an authentic payload.
    func claims(_ payload: [String: Any], now: Date) throws(ServiceError) -> JWTClaims {
        let time = now.timeIntervalSince1970
        guard let expires = (payload["exp"] as? NSNumber)?.doubleValue else {
            throw Self.refused("has no numeric exp claim")
        }
        guard time < expires + configuration.leeway else {
            throw Self.refused("has expired (exp \(Int(expires)), now \(Int(time)))")
        }
        if let notBefore = payload["nbf"] {
            guard let value = (notBefore as? NSNumber)?.doubleValue, time + configuration.leeway >= value else {
                throw Self.refused("is not valid yet (nbf \(notBefore))")
            }
        }
        guard let issuer = payload["iss"] as? String, issuer == configuration.issuer else {
            throw Self.refused("has the wrong issuer (iss \(payload["iss"].map { "\($0)" } ?? "missing"))")
        }
        if let audience = configuration.audience {
            let given: [String] =
                (payload["aud"] as? String).map { [$0] } ?? (payload["aud"] as? [Any])?.compactMap { $0 as? String }
                ?? []
            guard given.contains(audience) else {
                throw Self.refused("has the wrong audience (aud \(given), expected \(audience))")
            }
        }
        return JWTClaims(
            subject: payload["sub"] as? String, issuer: issuer, expiresAt: Date(timeIntervalSince1970: expires))
    }

    /// A base64url segment decoded as a JSON object.
    static func object(_ segment: Substring, _ part: String) throws(ServiceError) -> [String: Any] {
        guard let data = decode(segment) else { throw refused("has a \(part) that is not base64url") }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw refused("has a \(part) that is not a JSON object")
        }
        return object
    }

    /// Base64url without padding (RFC 7515 §2); nil for other characters or a padded segment.
    static func decode(_ segment: Substring) -> Data? {
        guard !segment.contains("="), !segment.contains("+"), !segment.contains("/") else { return nil }
        var text = segment.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        text += String(repeating: "=", count: (4 - text.count % 4) % 4)
        return Data(base64Encoded: text)
    }

    static func refused(_ reason: String) -> ServiceError {
        ServiceError(.unauthorized, "the bearer token \(reason)")
    }
}
