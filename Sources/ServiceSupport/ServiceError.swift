public import Foundation
public import HTTPTypes
public import Hummingbird
import ServiceContracts

/// The services' one error type: a code, a message that names the offending thing, the HTTP status it maps
/// to (the only place HTTP statuses are chosen) and an underlying cause.
public struct ServiceError: Error, CustomStringConvertible, HTTPResponseError {
    public enum Code: String, Sendable {
        case unauthorized, forbidden, notFound, badRequest, payloadTooLarge, unprocessable, conflict, unavailable
        case invalidKey, storage, database, configuration, upstream, internalError
    }

    public var code: Code
    public var message: String
    public var underlying: (any Error)?

    public init(_ code: Code, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String {
        "\(code.rawValue): \(message)" + (underlying.map { " (\($0))" } ?? "")
    }

    public var status: HTTPResponse.Status {
        switch code {
        case .unauthorized: .unauthorized
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .badRequest, .invalidKey: .badRequest
        case .payloadTooLarge: .contentTooLarge
        case .unprocessable: .unprocessableContent
        case .conflict: .conflict
        case .unavailable: .serviceUnavailable
        case .upstream: .badGateway
        case .storage, .database, .configuration, .internalError: .internalServerError
        }
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = try JobStore.encode(ErrorBody(code: code.rawValue, message: message))
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if code == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(data: body)))
    }
}

/// Turns every error a handler throws into the one JSON error shape (`ErrorBody`).
public struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as ServiceError {
            return try error.response(from: request, context: context)
        } catch let error as HTTPError {
            let code: ServiceError.Code =
                switch error.status {
                case .notFound: .notFound
                case .contentTooLarge: .payloadTooLarge
                case .unauthorized: .unauthorized
                case .methodNotAllowed, .badRequest: .badRequest
                default: error.status.code >= 500 ? .internalError : .badRequest
                }
            let message = error.body ?? error.status.reasonPhrase
            var response = try ServiceError(code, message).response(from: request, context: context)
            response.status = error.status
            return response
        } catch {
            context.logger.error("unhandled error: \(error)")
            return try ServiceError(.internalError, "\(error)").response(from: request, context: context)
        }
    }
}

extension ByteBuffer {
    /// A buffer holding `data`.
    public init(data: Data) {
        self.init(bytes: data)
    }
}
