import Foundation
import HTTPTypes
public import Hummingbird
import ServiceContracts

/// Lets through only calls signed by the gateway (`RequestSigner`); bodies of internal calls are small JSON,
/// collected (at most `maximumBody` bytes) to check the signature.
public struct SignatureMiddleware<Context: RequestContext>: RouterMiddleware {
    public let signer: RequestSigner
    public let maximumBody: Int

    public init(signer: RequestSigner, maximumBody: Int = 1 << 20) {
        self.signer = signer
        self.maximumBody = maximumBody
    }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: maximumBody)
        try signer.verify(
            method: request.method.rawValue, path: request.uri.string,
            timestamp: request.headers[HTTPField.Name(InternalHeaders.timestamp)!],
            signature: request.headers[HTTPField.Name(InternalHeaders.signature)!], body: body.readableBytesView)
        return try await next(request, context)
    }
}

/// JSON responses in the services' one encoding (sorted keys).
public enum JSONResponse {
    public static func make<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let data = try JobStore.encode(value)
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}

extension Request {
    /// Collects a small JSON body and decodes it; a malformed body is a `.badRequest` naming the type.
    public mutating func decodeJSON<T: Decodable>(_ type: T.Type, limit: Int = 1 << 20) async throws -> T {
        let buffer = try await collectBody(upTo: limit)
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch {
            throw ServiceError(.badRequest, "body is not a valid \(T.self): \(error)")
        }
    }
}
