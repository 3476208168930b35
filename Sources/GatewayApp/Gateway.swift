// The gateway: the public API (`/v1`, bearer token), job records, CT uploads streamed to storage, SSE, and
// the driver that walks jobs through the stage services.
public import Foundation
import HTTPTypes
public import Hummingbird
public import Logging
import NiftiIO
public import PostgresStore
import Segmentation
import ServiceContracts
import ServiceLifecycle
public import ServiceSupport

public struct Gateway: Sendable {
    public let configuration: GatewayConfiguration
    /// Job records: SQLite by default, PostgreSQL in queue mode.
    public let store: any JobRecords
    public let objects: ObjectStore
    let catalog: ModelCatalog
    let driver: JobDriver
    let metrics = GatewayMetrics()

    /// Opens the stores and the catalog; fails listing every configuration problem. With `database` (queue
    /// mode, running and migrated) jobs are kept in PostgreSQL and built-in stages go through its queue.
    public init(configuration: GatewayConfiguration, logger: Logger, database: PostgresBackend? = nil) throws {
        var problems = configuration.problems
        if database == nil {
            problems += configuration.stageURLProblems
        }
        if !problems.isEmpty { throw ServiceError(.configuration, problems.joined(separator: "; ")) }
        self.configuration = configuration
        if let database {
            store = PostgresJobStore(database: database)
        } else {
            store = try JobStore(path: configuration.databasePath)
        }
        objects = try ObjectStore(configuration: configuration.service)
        catalog = try ModelCatalog.load(configuration.catalogPath)
        driver = try JobDriver(
            configuration: configuration, store: store, objects: objects,
            queue: database.map { StageQueue(database: $0) }, logger: logger, metrics: metrics)
    }

    /// Drives on every unfinished job (call once at start-up).
    public func resumeUnfinishedJobs() async throws { try await driver.resume() }

    public func router() -> Router<ServiceRequestContext> {
        let router = Router(context: ServiceRequestContext.self)
        router.addMiddleware {
            JSONErrorMiddleware()
            ExpectContinueMiddleware()
            LogRequestsMiddleware(.info)
        }
        ServiceHost.addProbes(to: router, readiness: Readiness(ready: true))
        router.get("/metrics") { _, _ -> Response in
            let text = try await metrics.render(store: store, activeJobs: await driver.activeCount)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        let api = router.group("v1").add(
            middleware: BearerAuthMiddleware(
                keys: configuration.apiKeys, jwt: configuration.jwt.map { JWTVerifier(configuration: $0) }))
        api.get("models") { _, _ in try JSONResponse.make(models()) }
        api.post("jobs") { request, context in try await submit(request, context: context) }
        api.get("jobs/:id") { _, context in try JSONResponse.make(try await job(context)) }
        api.delete("jobs/:id") { _, context -> Response in
            let id = try await job(context).id
            await driver.cancel(id)
            await driver.stopTasks(id)
            _ = try await store.delete(id)
            try await objects.removeAll(under: "jobs/\(id)")
            return Response(status: .noContent)
        }
        api.get("jobs/:id/events") { request, context in try await events(request, context: context) }
        api.get("jobs/:id/artifacts/**") { request, context in try await artifact(request, context: context) }
        addViewerRoutes(to: router, api: api)
        return router
    }

    func job(_ context: some RequestContext) async throws -> JobResource {
        let id = try context.parameters.require("id")
        guard Self.isJobID(id), let job = try await store.job(id) else {
            throw ServiceError(.notFound, "no job \(id)")
        }
        return job
    }

    static func isJobID(_ id: String) -> Bool { UUID(uuidString: id) != nil }

    func models() -> [ModelDescription] {
        let selector = ModelSelector(catalog: catalog)
        return catalog.models.map { entry in
            ModelDescription(
                id: entry.id, family: entry.family, version: entry.version, role: entry.role.rawValue,
                structures: entry.structures.map(\.rawValue), available: selector.isAvailable(entry))
        }
    }

    /// `POST /v1/jobs`: options from the query, the CT as the raw body, streamed to storage (or a configured
    /// sample CT: `?sample=NAME`); or a `multipart/form-data` body: the `file` part streamed to storage, the
    /// other parts options (as the query's).
    func submit(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        let query = request.uri.queryParameters.map { (key: String($0.key), value: String($0.value)) }
        var options = try Self.options(query)
        let boundary = try request.headers[.contentType].flatMap { (type) throws(ServiceError) in
            try MultipartParser.boundary(contentType: type)
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > configuration.maximumUploadBytes {
            throw ServiceError(
                .payloadTooLarge, "the upload is \(length) bytes; the limit is \(configuration.maximumUploadBytes)")
        }
        let id = UUID().uuidString.lowercased()
        let key: String
        do {
            if let boundary {
                let upload = try await storeMultipartUpload(request.body, boundary: boundary, jobID: id)
                key = upload.key
                options = try Self.options(query + upload.fields)
            } else {
                key = try await storeInput(request, jobID: id)
            }
            try plan(key: key, options: options)
        } catch {
            try? await objects.removeAll(under: "jobs/\(id)")
            throw error
        }
        let job = try await store.create(id: id, options: options)
        context.logger.info("job created", metadata: ["job_id": "\(id)"])
        await driver.start(id)
        var response = try JSONResponse.make(job, status: .created)
        response.headers[.location] = "/v1/jobs/\(id)"
        return response
    }

    /// Streams the body to `jobs/{id}/input/ct.nii(.gz)` (atomic), never holding more than one chunk.
    func storeUpload(_ body: RequestBody, jobID: String) async throws -> String {
        var pending: PendingObject?
        var bytes = 0
        do {
            for try await chunk in body {
                if pending == nil {
                    let gzip =
                        chunk.readableBytes >= 2 && chunk.getInteger(at: chunk.readerIndex, as: UInt16.self) == 0x1F8B
                    pending = try objects.beginWrite("jobs/\(jobID)/input/ct.nii" + (gzip ? ".gz" : ""))
                }
                bytes += chunk.readableBytes
                if bytes > configuration.maximumUploadBytes {
                    throw ServiceError(
                        .payloadTooLarge, "the upload exceeds the limit of \(configuration.maximumUploadBytes) bytes")
                }
                try pending!.handle.write(contentsOf: chunk.readableBytesView)
            }
            guard let pending else { throw ServiceError(.badRequest, "the upload is empty: send the CT as the body") }
            try await pending.commit()
            metrics.recordUpload(bytes: bytes)
            return pending.key
        } catch {
            pending?.abort()
            try? await objects.removeAll(under: "jobs/\(jobID)")
            throw error
        }
    }

    /// Plans the job from the stored CT's header: a bad file or an impossible request fails here, with 4xx.
    func plan(key: String, options: JobOptions) throws {
        let header: NiftiHeader
        let image: ImageInfo
        do {
            header = try NiftiReader.readHeader(try objects.url(for: key).path)
            image = ImageInfo(size: try header.gridSize(), geometry: try header.geometry())
        } catch {
            let reason = "\(error)".replacingOccurrences(of: objects.root.path + "/", with: "")
            throw ServiceError(.badRequest, "the upload is not a readable NIfTI image: \(reason)")
        }
        do {
            _ = try JobPlanner(catalog: catalog).plan(
                try Self.segmentationRequest(options), image: image,
                options: PlanningOptions(mirroring: options.mirroring, tileStep: options.tileStep))
        } catch let error as SegmentationError {
            throw ServiceError(.unprocessable, error.message, underlying: error)
        }
    }

    static func segmentationRequest(_ options: JobOptions) throws -> SegmentationRequest {
        SegmentationRequest(
            structures: options.structures.compactMap(Structure.init(name:)), pins: options.pins,
            preview: options.preview)
    }

    /// Options from query parameters (or multipart fields): `structures=kidney,tumor`, `pin=ureter=1`
    /// (repeatable), `preview`, `mirroring`, `tileStep`, `segmentOnly`, `meshSmoothing` (0…1),
    /// `meshDecimation` ([0, 1)); `sample` names the input (`storeInput`). The first value of a name counts.
    static func options(_ query: [(key: String, value: String)]) throws -> JobOptions {
        var options = JobOptions()
        let known = Set([
            "structures", "pin", "preview", "mirroring", "tileStep", "segmentOnly", "meshSmoothing", "meshDecimation",
            "sample",
        ])
        if let unknown = query.first(where: { !known.contains($0.key) }) {
            throw ServiceError(
                .badRequest, "unknown option '\(unknown.key)' (known: \(known.sorted().joined(separator: ", ")))")
        }
        for name in (query.first { $0.key == "structures" }?.value ?? "").split(separator: ",") {
            let name = name.trimmingCharacters(in: .whitespaces)
            guard Structure(name: name) != nil else {
                let all = Structure.allCases.map(\.rawValue).joined(separator: ", ")
                throw ServiceError(.badRequest, "unknown structure '\(name)' (known: \(all))")
            }
            options.structures.append(name)
        }
        for pin in query.filter({ $0.key == "pin" }).map(\.value) {
            let parts = pin.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, let version = Int(parts[1]) else {
                throw ServiceError(.badRequest, "pin '\(pin)' is not FAMILY=VERSION (e.g. ureter=1)")
            }
            options.pins[parts[0]] = version
        }
        options.preview = try flag(query, "preview") ?? false
        options.mirroring = try flag(query, "mirroring") ?? true
        options.segmentOnly = try flag(query, "segmentOnly") ?? false
        if let step = query.first(where: { $0.key == "tileStep" })?.value {
            guard let value = Double(step), value > 0, value <= 1 else {
                throw ServiceError(.badRequest, "tileStep '\(step)' must be a number in (0, 1]")
            }
            options.tileStep = value
        }
        options.mesh.smoothing = try number(query, "meshSmoothing", in: 0...1) ?? options.mesh.smoothing
        options.mesh.decimation = try number(query, "meshDecimation", in: 0..<1) ?? options.mesh.decimation
        return options
    }

    /// A numeric option inside `range`, or nil when absent.
    static func number(
        _ query: [(key: String, value: String)], _ name: String, in range: some RangeExpression<Double>
    ) throws -> Double? {
        guard let text = query.first(where: { $0.key == name })?.value else { return nil }
        guard let value = Double(text), value.isFinite, range.contains(value) else {
            throw ServiceError(.badRequest, "\(name) '\(text)' must be a number in \(range)")
        }
        return value
    }

    static func flag(_ query: [(key: String, value: String)], _ name: String) throws -> Bool? {
        guard let text = query.first(where: { $0.key == name })?.value else { return nil }
        switch text.lowercased() {
        case "", "true", "1", "yes": return true
        case "false", "0", "no": return false
        default: throw ServiceError(.badRequest, "\(name)='\(text)' is not true or false")
        }
    }

    /// `GET /v1/jobs/{id}/events`: Server-Sent Events from the job's log, after `Last-Event-ID` (or `?after=`),
    /// until the job is done or failed.
    func events(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        let id = try await job(context).id
        let header = request.headers[HTTPField.Name("Last-Event-ID")!] ?? request.uri.queryParameters.get("after")
        var after = 0
        if let header {
            guard let value = Int(header), value >= 0 else {
                throw ServiceError(.badRequest, "Last-Event-ID '\(header)' is not a sequence number")
            }
            after = value
        }
        let store = store
        let first = after
        let interval = configuration.pollInterval
        let headers: HTTPFields = [.contentType: "text/event-stream", .cacheControl: "no-cache"]
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                // A graceful shutdown (SIGTERM) ends open streams; clients resume with Last-Event-ID.
                let stopping = Readiness(ready: false)
                try await withGracefulShutdownHandler {
                    try await Self.stream(
                        id, after: first, store: store, interval: interval, stopping: stopping, to: &writer)
                } onGracefulShutdown: {
                    stopping.isReady = true
                }
                try await writer.finish(nil)
            })
    }

    static func stream(
        _ id: String, after first: Int, store: any JobRecords, interval: Double, stopping: Readiness,
        to writer: inout any ResponseBodyWriter
    ) async throws {
        var last = first
        var lastWrite = ContinuousClock.now
        try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
        while !Task.isCancelled, !stopping.isReady {
            let generation = store.changes.generation(id)
            let state = try await store.job(id)?.state
            for event in try await store.events(id, after: last) {
                let data = String(decoding: try JobStore.encode(event), as: UTF8.self)
                try await writer.write(
                    ByteBuffer(string: "id: \(event.sequence)\nevent: \(event.type)\ndata: \(data)\n\n"))
                last = event.sequence
                lastWrite = .now
            }
            guard let state, !state.isTerminal else { break }
            if ContinuousClock.now - lastWrite > .seconds(15) {
                try await writer.write(ByteBuffer(string: ": ping\n\n"))
                lastWrite = .now
            }
            // Woken by the job's next write; `interval` bounds the wait (pings, shutdown, other writers).
            await store.changes.wait(id, since: generation, until: .now + .milliseconds(Int(interval * 1000)))
        }
    }

    /// `GET /v1/jobs/{id}/artifacts/{path}`: a stored object of the job, streamed from storage.
    func artifact(_ request: Request, context: ServiceRequestContext) async throws -> Response {
        let id = try await job(context).id
        let path = context.parameters.getCatchAll().joined(separator: "/")
        let key = "jobs/\(id)/\(path)"
        try ObjectStore.validate(key)
        guard !path.hasPrefix("input/"), try await objects.exists(key) else {
            throw ServiceError(.notFound, "job \(id) has no artifact '\(path)'")
        }
        let type =
            path.hasSuffix(".json") ? "application/json" : path.hasSuffix(".obj") ? "text/plain" : "application/gzip"
        let body = try await FileIO().loadFile(path: try await objects.localFile(for: key).path, context: context)
        return Response(status: .ok, headers: [.contentType: type], body: body)
    }
}
