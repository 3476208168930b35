import Foundation
public import Hummingbird
public import ServiceSupport

/// Requires `Authorization: Bearer <token>`: one of the configured API keys (compared in constant time), or,
/// when JWT is configured, a JWT that `jwt` verifies (HS256, issuer, audience, expiry).
public struct BearerAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let keys: [[UInt8]]
    let jwt: JWTVerifier?

    public init(keys: [String], jwt: JWTVerifier? = nil) {
        self.keys = keys.map { Array($0.utf8) }
        self.jwt = jwt
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard let header = request.headers[.authorization] else {
            throw ServiceError(.unauthorized, "missing bearer token (Authorization: Bearer <API key>)")
        }
        guard header.hasPrefix("Bearer ") else {
            throw ServiceError(.unauthorized, "the Authorization header is not a bearer token")
        }
        let token = String(header.dropFirst("Bearer ".count))
        let given = Array(token.utf8)
        var matched = false
        for key in keys where Self.equal(key, given) { matched = true }
        if !matched, let jwt, JWTVerifier.looksLikeJWT(token) {
            let claims = try jwt.verify(token)
            var context = context
            context.logger[metadataKey: "subject"] = "\(claims.subject ?? "")"
            return try await next(request, context)
        }
        guard matched else { throw ServiceError(.unauthorized, "invalid bearer token") }
        return try await next(request, context)
    }

    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for index in a.indices { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
