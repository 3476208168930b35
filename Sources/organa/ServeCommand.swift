import ArgumentParser
import Foundation
import GatewayApp
import ImageServiceApp
import Logging
import MeshServiceApp
import PostServiceApp
import PostgresStore
import ServiceContracts
import ServiceSupport

/// `organa serve <gateway|image|post|mesh|all>`: the job's stages as HTTP services (design.md §1).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the gateway and the image, post-processing and mesh services (or all in one process).",
        subcommands: [ServeGateway.self, ServeImage.self, ServePost.self, ServeMesh.self, ServeAll.self])
}

/// Settings every service takes. Secrets come from the environment by default (flags show in `ps`).
struct CommonServiceOptions: ParsableArguments {
    @Option(help: "Address to bind (loopback by default).")
    var host = "127.0.0.1"

    @Option(help: "Port (0: a free one, printed when listening).")
    var port = 0

    @Option(help: "Object store folder (default $ORGANA_STORE).")
    var store: String?

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    @Option(help: "Log format: text (key=value metadata) or json (one object per line, job_id a field).")
    var logFormat = "text"

    @Option(help: "S3 endpoint, e.g. http://127.0.0.1:8333 (default $ORGANA_S3_ENDPOINT).")
    var s3Endpoint: String?

    @Option(help: "S3 bucket of record (default $ORGANA_S3_BUCKET); when set, --store is a scratch and read cache.")
    var s3Bucket: String?

    @Option(help: "S3 region (default $ORGANA_S3_REGION, else us-east-1).")
    var s3Region: String?

    @Option(help: "S3 addressing: path or virtual-host (default $ORGANA_S3_ADDRESSING, else path).")
    var s3Addressing: String?

    func configuration() throws -> ServiceConfiguration {
        var problems: [String] = []
        let root = store ?? ServiceEnvironment.store.value
        if root == nil { problems.append("no object store: set --store or ORGANA_STORE") }
        if !["text", "json"].contains(logFormat) { problems.append("--log-format \(logFormat) is not text or json") }
        let secret = ServiceEnvironment.internalSecret.value ?? ""
        var configuration = ServiceConfiguration(
            host: host, port: port, storeRoot: URL(fileURLWithPath: root ?? "/nonexistent"), secret: secret)
        problems += configuration.problems.map { $0 + " (ORGANA_INTERNAL_SECRET)" }
        let s3 = s3Configuration()
        configuration.s3 = s3.configuration
        problems += s3.problems
        if !problems.isEmpty { throw ValidationError(problems.joined(separator: "\n")) }
        return configuration
    }

    /// S3 mode's settings when a bucket is set (flags over ORGANA_S3_*; credentials from the environment only),
    /// and every problem with them.
    func s3Configuration() -> (configuration: S3Configuration?, problems: [String]) {
        let endpoint = s3Endpoint ?? ServiceEnvironment.s3Endpoint.value
        guard let bucket = s3Bucket ?? ServiceEnvironment.s3Bucket.value, !bucket.isEmpty else {
            return (
                nil, endpoint == nil ? [] : ["an S3 endpoint is set but no bucket: set --s3-bucket or ORGANA_S3_BUCKET"]
            )
        }
        var problems: [String] = []
        if endpoint == nil { problems.append("no S3 endpoint: set --s3-endpoint or ORGANA_S3_ENDPOINT") }
        let url = URL(string: endpoint ?? "http://127.0.0.1")
        if url == nil { problems.append("the S3 endpoint '\(endpoint ?? "")' is not a URL") }
        let addressingText = s3Addressing ?? ServiceEnvironment.s3Addressing.value ?? "path"
        let addressing = S3Configuration.Addressing(rawValue: addressingText)
        if addressing == nil { problems.append("S3 addressing '\(addressingText)' is not path or virtual-host") }
        let configuration = S3Configuration(
            endpoint: url ?? URL(fileURLWithPath: "/"), bucket: bucket,
            region: s3Region ?? ServiceEnvironment.s3Region.value ?? "us-east-1", addressing: addressing ?? .path,
            accessKeyID: ServiceEnvironment.s3AccessKeyID.value ?? "",
            secretAccessKey: ServiceEnvironment.s3SecretAccessKey.value ?? "")
        return (configuration, problems + (url == nil ? [] : configuration.problems))
    }

    func logger(_ name: String) -> Logger {
        var logger =
            logFormat == "json"
            ? Logger(label: "organa.\(name)") { JSONLogHandler(label: $0) } : Logger(label: "organa.\(name)")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        return logger
    }
}

/// Prints the bound address on stdout (scripts and tests read it).
func announceListening(_ name: String, host: String) -> @Sendable (Int) async -> Void {
    { port in
        FileHandle.standardOutput.write(Data("organa \(name) listening on http://\(host):\(port)\n".utf8))
    }
}

struct ServeImage: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "image", abstract: "The image service.")
    @OptionGroup var common: CommonServiceOptions
    @Option(help: "Model catalog (JSON).") var catalog = "models/catalog.json"
    @Option(help: "Memory budget in GiB for jobs running at once.") var memoryBudget = 8.0
    @OptionGroup var check: ConfigurationCheckOptions
    @OptionGroup var queue: QueueOptions

    func run() async throws {
        let configuration = ImageServiceConfiguration(
            service: try common.configuration(), catalogPath: catalog,
            memoryBudgetBytes: Int(memoryBudget * 1_073_741_824))
        if check.checkConfiguration {
            try ConfigurationReport.checkCatalog(catalog)
            var settings = try queue.checkedSettings(logger: common.logger("image"))
            settings["catalog"] = catalog
            settings["memory-budget"] = "\(memoryBudget)"
            return try ConfigurationReport(service: "image", configuration: configuration.service, settings: settings)
                .print()
        }
        let service = try ImageService(configuration: configuration)
        let logger = common.logger("image")
        let announce = announceListening("image", host: common.host)
        try await queue.serveStage(
            StageRole(stages: ["image"], admit: service.queueAdmission, work: service.work), logger: logger
        ) {
            try await ServiceHost.run(
                router: service.router(logger: logger), name: "organa-image",
                configuration: service.configuration.service, logger: logger
            ) { port in
                await announce(port)
                // Serving first: /health answers while the weights load, /ready once they are.
                service.startLoadingModels(logger: logger)
            }
        }
    }
}

struct ServePost: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "post", abstract: "The post-processing service.")
    @OptionGroup var common: CommonServiceOptions
    @OptionGroup var check: ConfigurationCheckOptions
    @OptionGroup var queue: QueueOptions

    func run() async throws {
        let configuration = try common.configuration()
        if check.checkConfiguration {
            let settings = try queue.checkedSettings(logger: common.logger("post"))
            return try ConfigurationReport(service: "post", configuration: configuration, settings: settings).print()
        }
        let service = try PostService(configuration: configuration)
        let logger = common.logger("post")
        try await queue.serveStage(StageRole(stages: ["post"], work: service.work), logger: logger) {
            try await ServiceHost.run(
                router: service.router(logger: logger), name: "organa-post", configuration: service.configuration,
                logger: logger, onRunning: announceListening("post", host: common.host))
        }
    }
}

struct ServeMesh: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "mesh", abstract: "The mesh service.")
    @OptionGroup var common: CommonServiceOptions
    @OptionGroup var check: ConfigurationCheckOptions
    @OptionGroup var queue: QueueOptions

    func run() async throws {
        let configuration = try common.configuration()
        if check.checkConfiguration {
            let settings = try queue.checkedSettings(logger: common.logger("mesh"))
            return try ConfigurationReport(service: "mesh", configuration: configuration, settings: settings).print()
        }
        let service = try MeshService(configuration: configuration)
        let logger = common.logger("mesh")
        try await queue.serveStage(
            StageRole(stages: ["mesh", "preview-mesh"], work: service.work), logger: logger
        ) {
            try await ServiceHost.run(
                router: service.router(logger: logger), name: "organa-mesh", configuration: service.configuration,
                logger: logger, onRunning: announceListening("mesh", host: common.host))
        }
    }
}

/// Gateway settings beyond the common ones.
struct GatewayOptions: ParsableArguments {
    @Option(help: "SQLite job store (default: jobs.sqlite in the object store folder).") var database: String?
    @Option(help: "Model catalog (JSON).") var catalog = "models/catalog.json"
    @Option(help: "Largest accepted upload in bytes.") var maxUploadBytes = 2 << 30
    @Option(help: "Extra mask step NAME=URL, run beside meshing (repeatable).") var maskStep: [String] = []
    @Option(help: "Sample CT NAME=PATH a job can start from (repeatable); 'phantom' is built in.")
    var sample: [String] = []
    @Option(help: "Required JWT issuer (iss); JWTs are accepted when ORGANA_JWT_SECRET is set.") var jwtIssuer: String?
    @Option(help: "Required JWT audience (aud).") var jwtAudience: String?

    /// `writingPhantom` false (`--check-configuration`): the built-in phantom is not written (nor offered).
    func configuration(
        service: ServiceConfiguration, image: URL?, post: URL?, mesh: URL?, writingPhantom: Bool = true
    ) throws -> GatewayConfiguration {
        let keys = (ServiceEnvironment.apiKeys.value ?? "").split(separator: ",").map {
            $0.trimmingCharacters(in: .whitespaces)
        }.filter { !$0.isEmpty }
        var steps: [StepEndpoint] = []
        for text in maskStep {
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let url = URL(string: parts[1]) else {
                throw ValidationError("--mask-step \(text) is not NAME=URL")
            }
            steps.append(StepEndpoint(name: parts[0], url: url))
        }
        let configuration = GatewayConfiguration(
            service: service, databasePath: database ?? service.storeRoot.appendingPathComponent("jobs.sqlite").path,
            apiKeys: keys, image: image, post: post, mesh: mesh, maskSteps: steps, catalogPath: catalog,
            maximumUploadBytes: maxUploadBytes, jwt: try jwt(secret: ServiceEnvironment.jwtSecret.value),
            samples: try ServeSamples.resolve(sample, storeRoot: service.storeRoot, writingPhantom: writingPhantom))
        let problems = configuration.problems
        if !problems.isEmpty { throw ValidationError(problems.joined(separator: "\n")) }
        return configuration
    }
}

extension GatewayOptions {
    /// JWT settings when a secret is set (then the issuer and audience are required too).
    func jwt(secret: String?) throws -> JWTConfiguration? {
        guard let secret, !secret.isEmpty else {
            if jwtIssuer != nil || jwtAudience != nil {
                throw ValidationError("--jwt-issuer/--jwt-audience need ORGANA_JWT_SECRET")
            }
            return nil
        }
        guard let jwtIssuer, let jwtAudience else {
            throw ValidationError("ORGANA_JWT_SECRET is set: --jwt-issuer and --jwt-audience are required")
        }
        return JWTConfiguration(secret: secret, issuer: jwtIssuer, audience: jwtAudience)
    }
}

func runGateway(
    _ configuration: GatewayConfiguration, logger: Logger, host: String, database: PostgresBackend? = nil
) async throws {
    let gateway = try Gateway(configuration: configuration, logger: logger, database: database)
    try await gateway.resumeUnfinishedJobs()
    try await ServiceHost.run(
        router: gateway.router(), name: "organa-gateway", configuration: configuration.service, logger: logger,
        onRunning: announceListening("gateway", host: host))
}

struct ServeGateway: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway", abstract: "The public API: jobs, uploads, events, artifacts (bearer token on /v1).")
    @OptionGroup var common: CommonServiceOptions
    @OptionGroup var gateway: GatewayOptions
    @Option(help: "Image service URL (optional in queue mode).") var imageURL: String?
    @Option(help: "Post-processing service URL (optional in queue mode).") var postURL: String?
    @Option(help: "Mesh service URL (optional in queue mode).") var meshURL: String?
    @OptionGroup var queue: QueueOptions
    @OptionGroup var check: ConfigurationCheckOptions

    func run() async throws {
        let urls = try [imageURL, postURL, meshURL].map { (text) throws -> URL? in
            guard let text else { return nil }
            guard let url = URL(string: text) else { throw ValidationError("\(text) is not a URL") }
            return url
        }
        let configuration = try gateway.configuration(
            service: try common.configuration(), image: urls[0], post: urls[1], mesh: urls[2],
            writingPhantom: !check.checkConfiguration)
        let logger = common.logger("gateway")
        if check.checkConfiguration {
            try ConfigurationReport.checkCatalog(gateway.catalog)
            var settings = try queue.checkedSettings(logger: logger)
            settings["catalog"] = gateway.catalog
            for (name, value) in [("image-url", imageURL), ("post-url", postURL), ("mesh-url", meshURL)] {
                settings[name] = value
            }
            if settings["database-url"] == nil, !configuration.stageURLProblems.isEmpty {
                throw ValidationError(configuration.stageURLProblems.joined(separator: "\n"))
            }
            return try ConfigurationReport(service: "gateway", configuration: configuration.service, settings: settings)
                .print()
        }
        guard let database = try queue.database(logger: logger) else {
            if !configuration.stageURLProblems.isEmpty {
                throw ValidationError(configuration.stageURLProblems.joined(separator: "\n"))
            }
            return try await runGateway(configuration, logger: logger, host: common.host)
        }
        let host = common.host
        try await database.withRunning { database in
            try await runGateway(configuration, logger: logger, host: host, database: database)
        }
    }
}

/// Every service in one process: the stage services on free loopback ports, the gateway on `--port`.
struct ServeAll: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "all", abstract: "All services in one process.")
    @OptionGroup var common: CommonServiceOptions
    @OptionGroup var gateway: GatewayOptions
    @Option(help: "Memory budget in GiB of the image service.") var memoryBudget = 8.0
    @OptionGroup var check: ConfigurationCheckOptions

    func run() async throws {
        if ServiceEnvironment.databaseURL.value != nil {
            throw ValidationError(
                "queue mode (ORGANA_DATABASE_URL) runs each service as its own `organa serve` process")
        }
        let shared = try common.configuration()
        if check.checkConfiguration {
            let loopback = URL(string: "http://127.0.0.1")!
            _ = try gateway.configuration(
                service: shared, image: loopback, post: loopback, mesh: loopback, writingPhantom: false)
            try ConfigurationReport.checkCatalog(gateway.catalog)
            let settings = ["catalog": gateway.catalog, "memory-budget": "\(memoryBudget)"]
            return try ConfigurationReport(service: "all", configuration: shared, settings: settings).print()
        }
        let internalConfiguration = ServiceConfiguration(
            host: "127.0.0.1", port: 0, storeRoot: shared.storeRoot, secret: shared.secret, s3: shared.s3)
        let image = try ImageService(
            configuration: .init(
                service: internalConfiguration, catalogPath: gateway.catalog,
                memoryBudgetBytes: Int(memoryBudget * 1_073_741_824)))
        let post = try PostService(configuration: internalConfiguration)
        let mesh = try MeshService(configuration: internalConfiguration)
        let ports = PortBook()
        try await withThrowingTaskGroup(of: Void.self) { group in
            let common = common
            for name in ["image", "post", "mesh"] {
                group.addTask {
                    let logger = common.logger(name)
                    let router =
                        switch name {
                        case "image": image.router(logger: logger)
                        case "post": post.router(logger: logger)
                        default: mesh.router(logger: logger)
                        }
                    try await ServiceHost.run(
                        router: router, name: "organa-\(name)", configuration: internalConfiguration, logger: logger
                    ) { port in
                        await ports.set(name, port)
                        if name == "image" { image.startLoadingModels(logger: logger) }
                    }
                }
            }
            let urls = try await ports.wait(for: ["image", "post", "mesh"]).mapValues {
                URL(string: "http://127.0.0.1:\($0)")!
            }
            let configuration = try gateway.configuration(
                service: shared, image: urls["image"]!, post: urls["post"]!, mesh: urls["mesh"]!)
            group.addTask {
                try await runGateway(configuration, logger: common.logger("gateway"), host: common.host)
            }
            try await group.waitForAll()
        }
    }
}

/// Ports of services started in this process, once they listen.
actor PortBook {
    private var ports: [String: Int] = [:]

    func set(_ name: String, _ port: Int) { ports[name] = port }

    func wait(for names: [String]) async throws -> [String: Int] {
        while !names.allSatisfy({ ports[$0] != nil }) { try await Task.sleep(nanoseconds: 20_000_000) }
        return ports
    }
}
