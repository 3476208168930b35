// `Expect: 100-continue` for HTTP/1.1 uploads (RFC 9110 §10.1.1), which Hummingbird 2 does not handle: a client
// that sends it (curl does, for `-T` and large bodies) holds the body back until the server answers
// `100 Continue`, or sends it anyway after a timeout (curl: 1 s). Two parts:
// - `ExpectContinueHandler`, a channel handler after Hummingbird's HTTP/1 codec, remembers that the current
//   request expects `100 Continue`, writes it when told the handler reads the body, and otherwise (the route
//   answers first: 401, 403, 404, 413, …) lets the final answer go out alone with `Connection: close` and
//   closes the connection after it (the client may or may not send the body; the server does not wait for it).
// - `ExpectContinueMiddleware` wraps such a request's body so that its first read tells the channel handler
//   (`SendContinue`, a user outbound event): the interim answer goes out only once every earlier check passed
//   and the handler actually asks for the body.
// Limits: the HTTP version is not visible after Hummingbird's codec, so an HTTP/1.0 request with the header
// (RFC 9110: to be ignored) is also answered `100 Continue`; clients ignore an unexpected 1xx.
import Foundation
public import Hummingbird
public import NIOCore
public import NIOHTTPTypes

/// Writes `100 Continue` for a request with `Expect: 100-continue` once its body is read (see the file header).
public final class ExpectContinueHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPRequestPart
    public typealias InboundOut = HTTPRequestPart
    public typealias OutboundIn = HTTPResponsePart
    public typealias OutboundOut = HTTPResponsePart

    /// The user outbound event that asks for the interim answer (sent on the first read of the body).
    public struct SendContinue: Sendable {
        public init() {}
    }

    private enum State {
        /// Nothing owed.
        case idle
        /// The request expects `100 Continue` and its body was neither read nor sent yet.
        case owesContinue
        /// A final answer went out instead of `100 Continue`: close the connection after it.
        case closeAfterResponse
    }

    private var state = State.idle

    public init() {}

    /// Whether a request head asks for `100 Continue` (the header's value is case-insensitive).
    public static func expectsContinue(_ fields: HTTPFields) -> Bool {
        fields[values: .expect].contains { $0.trimmingCharacters(in: .whitespaces).lowercased() == "100-continue" }
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            state = Self.expectsContinue(head.headerFields) ? .owesContinue : .idle
        case .body, .end:
            // The client sends the body anyway (its wait ended): no interim answer is due any more.
            if case .owesContinue = state { state = .idle }
        }
        context.fireChannelRead(data)
    }

    public func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        guard event is SendContinue else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        guard case .owesContinue = state else {
            promise?.succeed(())
            return
        }
        state = .idle
        context.writeAndFlush(wrapOutboundOut(.head(HTTPResponse(status: .continue))), promise: promise)
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch (unwrapOutboundIn(data), state) {
        case (.head(var response), .owesContinue) where response.status.kind != .informational:
            // Answered before the body was asked for: the client may never send it.
            state = .closeAfterResponse
            response.headerFields[.connection] = "close"
            context.write(wrapOutboundOut(.head(response)), promise: promise)
        case (.end, .closeAfterResponse):
            state = .idle
            context.writeAndFlush(data, promise: promise)
            context.close(promise: nil)
        default:
            context.write(data, promise: promise)
        }
    }
}

/// Makes the first read of a request's body send `100 Continue` when the request asked for it (the channel
/// needs an `ExpectContinueHandler`, as `ServiceHost.run` installs; without one the event is dropped).
public struct ExpectContinueMiddleware: RouterMiddleware {
    public typealias Context = ServiceRequestContext

    public init() {}

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard ExpectContinueHandler.expectsContinue(request.headers) else { return try await next(request, context) }
        var request = request
        request.body = RequestBody(asyncSequence: ContinueOnFirstRead(base: request.body, channel: context.channel))
        return try await next(request, context)
    }
}

/// A request body that asks its channel for `100 Continue` when it is first read.
struct ContinueOnFirstRead: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let base: RequestBody
    let channel: any Channel

    struct AsyncIterator: AsyncIteratorProtocol {
        var base: RequestBody.AsyncIterator
        let channel: any Channel
        var asked = false

        mutating func next() async throws -> ByteBuffer? {
            if !asked {
                asked = true
                channel.triggerUserOutboundEvent(ExpectContinueHandler.SendContinue(), promise: nil)
            }
            return try await base.next()
        }
    }

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), channel: channel)
    }
}
