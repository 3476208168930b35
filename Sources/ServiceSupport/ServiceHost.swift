import Foundation
import HTTPTypes
public import Hummingbird
public import Logging
public import NIOCore
import ServiceContracts

/// Readiness of a service: false until its heavy resources are loaded.
public final class Readiness: @unchecked Sendable {
    private let lock = NSLock()
    private var ready: Bool

    public init(ready: Bool = false) { self.ready = ready }

    public var isReady: Bool {
        get { lock.withLock { ready } }
        set { lock.withLock { ready = newValue } }
    }
}

public enum ServiceHost {
    /// A stage service's router: JSON errors, job-id logging and request logs, the probes, and `board`'s task
    /// routes under `internal/v1` behind the gateway's signature (`secret`).
    public static func stageRouter(
        board: TaskBoard, secret: String, store: ObjectStore, readiness: Readiness = Readiness(ready: true)
    ) -> Router<ServiceRequestContext> {
        let router = Router(context: ServiceRequestContext.self)
        router.addMiddleware {
            JSONErrorMiddleware()
            ExpectContinueMiddleware()
            JobIDLoggingMiddleware()
            LogRequestsMiddleware(.debug)
        }
        addProbes(to: router, readiness: readiness)
        let group = router.group("internal/v1").add(
            middleware: SignatureMiddleware(signer: RequestSigner(secret: secret)))
        board.addRoutes(to: group, store: store)
        return router
    }

    /// `/health` (the process answers) and `/ready` (503 until `readiness` says so).
    public static func addProbes<Context: RequestContext>(to router: Router<Context>, readiness: Readiness) {
        router.get("/health") { _, _ in try JSONResponse.make(["status": "ok"]) }
        router.get("/ready") { _, _ in
            guard readiness.isReady else { throw ServiceError(.unavailable, "not ready") }
            return try JSONResponse.make(["status": "ready"])
        }
    }

    /// Runs `router` on `configuration.host:port` until SIGTERM/SIGINT; `onRunning` gets the bound port. HTTP/1.1
    /// with `Expect: 100-continue` answered (`ExpectContinueHandler`; the router needs `ExpectContinueMiddleware`).
    public static func run(
        router: Router<ServiceRequestContext>, name: String, configuration: ServiceConfiguration, logger: Logger,
        onRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) async throws {
        let app = Application(
            router: router,
            server: .http1(configuration: .init(additionalChannelHandlers: [ExpectContinueHandler()])),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: name),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? configuration.port) },
            logger: logger)
        try await app.runService()
    }
}

/// The request context of every service: the job id that follows a job across services is put in the logger.
public struct ServiceRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The connection the request came on (`ExpectContinueMiddleware` signals its `ExpectContinueHandler`).
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// Large bodies are streamed, never collected; small JSON bodies are capped at 1 MiB.
    public var maxUploadSize: Int { 1 << 20 }
}

/// Adds the request's job id (header `X-Organa-Job-Id`) to its logger metadata.
public struct JobIDLoggingMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var context = context
        if let job = request.headers[HTTPField.Name(InternalHeaders.jobID)!] {
            context.logger[metadataKey: "job_id"] = "\(job)"
        }
        return try await next(request, context)
    }
}
