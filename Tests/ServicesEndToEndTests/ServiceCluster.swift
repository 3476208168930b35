import Foundation
import OrganaTestSupport
import Segmentation
import ServiceContracts
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One `organa serve …` process on loopback: started, its port read from its first line, killed at will.
final class ServiceProcess: @unchecked Sendable {
    let name: String
    let process = Process()
    private let lock = NSLock()
    private var output = ""
    private(set) var port = 0

    init(
        name: String, executable: URL = ServiceCluster.executable, arguments: [String], environment: [String: String],
        log: URL
    ) throws {
        self.name = name
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        try handle.seekToEnd()
        process.standardError = handle
        pipe.fileHandleForReading.readabilityHandler = { [weak self] file in
            let data = file.availableData
            guard !data.isEmpty else {
                file.readabilityHandler = nil  // end of file: without this the handler fires forever
                return
            }
            guard let self else { return }
            self.lock.withLock { self.output += String(decoding: data, as: UTF8.self) }
        }
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let text = lock.withLock { output }
            if let range = text.range(of: " listening on http://127.0.0.1:") {
                let digits = text[range.upperBound...].prefix { $0.isNumber }
                if let port = Int(digits) {
                    self.port = port
                    return
                }
            }
            guard process.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.02)
        }
        stop()
        throw ClusterError(message: "\(name) did not start; see \(log.path)")
    }

    var url: URL { URL(string: "http://127.0.0.1:\(port)")! }

    /// SIGKILL: no graceful shutdown, as a crash.
    func kill() {
        guard process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// SIGTERM (graceful), then SIGKILL after 10 s.
    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        kill()
    }
}

/// Queue mode of a cluster: the database every process shares and how many replicas each stage service has.
struct QueueSetup: Sendable {
    var databaseURL: String
    /// Replicas per stage service (`image`, `post`, `mesh`); one when absent.
    var replicas: [String: Int]
    var leaseSeconds: Double
    /// Each image replica's memory budget, in GiB.
    var imageMemoryBudget: Double

    /// `image-1`, `image-2`, …, `post-1`, `mesh-1`, …
    var replicaNames: [String] {
        ["image", "post", "mesh"].flatMap { service in (1...(replicas[service] ?? 1)).map { "\(service)-\($0)" } }
    }

    /// Queue-mode flags of one process (a replica's worker id is its name).
    func arguments(service: String, name: String) -> [String] {
        var arguments = ["--database-url", databaseURL, "--lease-seconds", String(leaseSeconds)]
        if service != "gateway" { arguments += ["--worker-id", name] }
        if service == "image" { arguments += ["--memory-budget", String(imageMemoryBudget)] }
        return arguments
    }
}

struct ClusterError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// The four services as separate processes sharing one object store folder, the gateway in front; in S3 mode
/// (`s3`: ORGANA_S3_* variables) each service has a cache folder of its own and the bucket is the only store
/// they share.
final class ServiceCluster: @unchecked Sendable {
    static let apiKey = "test-key-0123456789abcdef"
    static let secret = "test-secret-0123456789"
    static let catalog = RepositoryPaths.root.appendingPathComponent("models/catalog.json").path

    /// How many models the bundled catalog lists (all are bundled, so an image service loads them all).
    static func catalogModelCount() throws -> Int { try ModelCatalog.load(catalog).models.count }

    /// The `organa` binary beside this test binary.
    static var executable: URL {
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        return testBinary.deletingLastPathComponent().appendingPathComponent("organa")
    }

    let folder: URL
    let gatewayArguments: [String]
    /// Environment the gateway gets beyond `environment` (e.g. its JWT secret).
    let gatewayEnvironment: [String: String]
    /// Mask steps started before the gateway and listed in its configuration: name → command line.
    let maskSteps: [(name: String, command: [String])]
    /// ORGANA_S3_* for every service (empty: the filesystem store).
    let s3: [String: String]
    /// Queue mode (every process on one PostgreSQL), nil for the default HTTP mode.
    let queue: QueueSetup?
    var services: [String: ServiceProcess] = [:]

    var store: URL { folder.appendingPathComponent("store") }
    var environment: [String: String] {
        ["ORGANA_INTERNAL_SECRET": Self.secret, "ORGANA_API_KEYS": Self.apiKey, "ORGANA_STORE": store.path]
    }

    init(
        gatewayArguments: [String] = [], gatewayEnvironment: [String: String] = [:],
        maskSteps: [(name: String, command: [String])] = [], s3: [String: String] = [:], queue: QueueSetup? = nil
    ) throws {
        folder = try RepositoryPaths.temporaryFolder()
        self.s3 = s3
        self.gatewayArguments = gatewayArguments
        self.gatewayEnvironment = gatewayEnvironment
        self.maskSteps = maskSteps
        self.queue = queue
        do {
            for name in queue?.replicaNames ?? ["image", "post", "mesh"] { try start(name) }
            for step in maskSteps {
                services[step.name] = try ServiceProcess(
                    name: step.name, executable: URL(fileURLWithPath: "/usr/bin/env"), arguments: step.command,
                    environment: environment, log: folder.appendingPathComponent("\(step.name).log"))
            }
            try start("gateway")
        } catch {
            stopServices()
            throw error  // the folder stays: the error names a service's log in it
        }
    }

    /// Starts (or restarts, on its old port) one service; a replica's name is `SERVICE-N` (queue mode).
    func start(_ name: String) throws {
        let service = String(name.prefix { $0 != "-" })
        var arguments = [service, "--port", String(services[name]?.port ?? 0), "--log-format", "json"]
        switch service {
        case "image": arguments += ["--catalog", Self.catalog]
        case "gateway":
            arguments += ["--catalog", Self.catalog]
            if queue == nil {
                arguments += [
                    "--image-url", services["image"]!.url.absoluteString, "--post-url",
                    services["post"]!.url.absoluteString, "--mesh-url", services["mesh"]!.url.absoluteString,
                ]
            }
            arguments +=
                gatewayArguments
                + maskSteps.flatMap { ["--mask-step", "\($0.name)=\(services[$0.name]!.url.absoluteString)"] }
        default: break
        }
        var environment = environment.merging(s3) { $1 }
        if !s3.isEmpty { environment["ORGANA_STORE"] = folder.appendingPathComponent("cache-\(name)").path }
        arguments += queue?.arguments(service: service, name: name) ?? []
        services[name] = try ServiceProcess(
            name: name, arguments: ["serve"] + arguments,
            environment: name == "gateway" ? environment.merging(gatewayEnvironment) { $1 } : environment,
            log: folder.appendingPathComponent("\(name).log"))
    }

    /// Stops every service and deletes the cluster's folder (logs and store).
    func stop() {
        stopServices()
        try? FileManager.default.removeItem(at: folder)
    }

    private func stopServices() {
        for service in services.values { service.stop() }
    }

    /// The JSON log lines (`--log-format json`) a service wrote so far.
    func logLines(_ name: String) throws -> [[String: String]] {
        let text = try String(contentsOf: folder.appendingPathComponent("\(name).log"), encoding: .utf8)
        return text.split(separator: "\n").compactMap {
            try? JSONDecoder().decode([String: String].self, from: Data($0.utf8))
        }
    }

    var gateway: URL { services["gateway"]!.url }

    // MARK: HTTP

    func request(
        _ method: String, _ path: String, body: Data? = nil, token: String? = ServiceCluster.apiKey,
        headers: [String: String] = [:], timeout: Double = 60
    ) async throws -> (status: Int, body: Data) {
        var request = URLRequest(url: URL(string: path, relativeTo: gateway)!, timeoutInterval: timeout)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) =
            if let body {
                try await URLSession.shared.upload(for: request, from: body)
            } else {
                try await URLSession.shared.data(for: request)
            }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        // Every live answer of the gateway is checked against its OpenAPI document.
        let template = Self.template(of: path)
        if !template.hasSuffix("/events") || status != 200 {
            let problems = OpenAPIDocument.gateway.problems(
                data, path: template, method: method.lowercased(), status: status)
            #expect(problems.isEmpty, "\(method) \(path) → \(status) breaks api/gateway.openapi.json: \(problems)")
        }
        return (status, data)
    }

    /// The OpenAPI path template of a request path (`/v1/jobs/{id}/events`).
    static func template(of path: String) -> String {
        if path.hasPrefix("/viewer/") { return "/viewer/{file}" }
        let parts = path.split(separator: "?")[0].split(separator: "/", omittingEmptySubsequences: false).map(
            String.init)
        guard parts.count >= 4, parts[1] == "v1", parts[2] == "jobs" else {
            return String(path.split(separator: "?")[0])
        }
        if parts.count == 4 { return "/v1/jobs/{id}" }
        return parts[4] == "artifacts" ? "/v1/jobs/{id}/artifacts/{path}" : "/v1/jobs/{id}/\(parts[4])"
    }

    func submit(_ ct: URL, query: String) async throws -> JobResource {
        let (status, body) = try await request("POST", "/v1/jobs?\(query)", body: try Data(contentsOf: ct))
        guard status == 201 else {
            throw ClusterError(message: "submit: HTTP \(status) \(String(decoding: body, as: UTF8.self))")
        }
        return try JSONDecoder().decode(JobResource.self, from: body)
    }

    func job(_ id: String) async throws -> JobResource {
        let (status, body) = try await request("GET", "/v1/jobs/\(id)")
        guard status == 200 else { throw ClusterError(message: "job \(id): HTTP \(status)") }
        return try JSONDecoder().decode(JobResource.self, from: body)
    }

    /// Polls until the job is in one of `states` (or fails the wait after `timeout` seconds).
    func wait(_ id: String, for states: Set<JobState>, timeout: Double = 600) async throws -> JobResource {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let job = try? await job(id) {
                if states.contains(job.state) { return job }
                if job.state.isTerminal {
                    throw ClusterError(message: "job \(id) ended \(job.state): \(job.error ?? "")")
                }
            }
            try await Task.sleep(nanoseconds: 100_000_000)
        }
        throw ClusterError(message: "job \(id) not in \(states) after \(timeout) s")
    }

    /// The whole SSE stream of a job (it ends when the job does), parsed.
    func events(_ id: String, lastEventID: Int? = nil) async throws -> [JobEvent] {
        var headers: [String: String] = [:]
        if let lastEventID { headers["Last-Event-ID"] = String(lastEventID) }
        let (status, body) = try await request("GET", "/v1/jobs/\(id)/events", headers: headers, timeout: 600)
        guard status == 200 else { throw ClusterError(message: "events: HTTP \(status)") }
        return try Self.parseSSE(String(decoding: body, as: UTF8.self))
    }

    static func parseSSE(_ text: String) throws -> [JobEvent] {
        var events: [JobEvent] = []
        for block in text.components(separatedBy: "\n\n") {
            var id: Int?
            var type: String?
            var data: String?
            for line in block.split(separator: "\n") {
                if line.hasPrefix("id: ") { id = Int(line.dropFirst(4)) }
                if line.hasPrefix("event: ") { type = String(line.dropFirst(7)) }
                if line.hasPrefix("data: ") { data = String(line.dropFirst(6)) }
            }
            guard let data else { continue }
            let problems = OpenAPIDocument.gateway.problems(Data(data.utf8), schema: "JobEvent")
            #expect(problems.isEmpty, "SSE data breaks the JobEvent schema: \(problems)")
            let event = try JSONDecoder().decode(JobEvent.self, from: Data(data.utf8))
            #expect(event.sequence == id && event.type == type, "SSE id/event lines disagree with \(data)")
            events.append(event)
        }
        return events
    }
}

extension ServiceCluster {
    /// A Prometheus sample of a service's `/metrics` (nil when absent).
    func metric(_ service: String, _ name: String) async throws -> Double? {
        let (body, _) = try await URLSession.shared.data(
            from: services[service]!.url.appendingPathComponent("metrics"))
        let text = String(decoding: body, as: UTF8.self)
        return text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap {
            Double($0.dropFirst(name.count + 1))
        }
    }

    /// Kills the gateway (SIGKILL), starts it again on its port and follows the job to its end: every state once
    /// and in order, no artifact announced twice, the events numbered without a gap.
    func restartGatewayAndFollow(_ id: String) async throws {
        services["gateway"]!.kill()
        try await Task.sleep(nanoseconds: 500_000_000)
        try start("gateway")
        let events = try await events(id)
        #expect(events.compactMap(\.state) == [.queued, .segmenting, .postprocessing, .meshing, .done])
        let keys = events.compactMap(\.artifact?.key)
        #expect(keys.count == Set(keys).count, "an artifact was announced twice")
        #expect(events.map(\.sequence) == Array(1...events.count))
    }

    /// The image service's checkpoint reads and models in memory, once it is ready (after at most `timeout` s).
    func imageModelCounts(
        service: String = "image", timeout: Double = 60
    ) async throws -> (
        reads: Double, loaded: Double
    ) {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let (_, response) = try await URLSession.shared.data(
                from: services[service]!.url.appendingPathComponent("ready"))
            if (response as? HTTPURLResponse)?.statusCode == 200 { break }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        return (
            try await metric(service, "organa_checkpoint_reads_total") ?? -1,
            try await metric(service, "organa_models_loaded") ?? -1
        )
    }
}
