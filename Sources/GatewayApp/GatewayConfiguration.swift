public import Foundation
public import ServiceSupport

/// A stage service the gateway drives through the mask-step contract.
public struct StepEndpoint: Sendable, Hashable {
    /// Stage name (`image`, `post`, `mesh`, or a configured step's name); keys of its task ids and cursors.
    public var name: String
    public var url: URL

    public init(name: String, url: URL) {
        self.name = name
        self.url = url
    }
}

/// The gateway's settings (built by the executable from flags and environment).
public struct GatewayConfiguration: Sendable {
    public var service: ServiceConfiguration
    /// SQLite job store (unused in queue mode).
    public var databasePath: String
    /// Bearer tokens accepted on `/v1`.
    public var apiKeys: [String]
    /// JWTs accepted on `/v1` besides the API keys, when set.
    public var jwt: JWTConfiguration?
    /// The stage services; optional in queue mode (replicas take built-in stages from the queue).
    public var image: URL?
    public var post: URL?
    public var mesh: URL?
    /// Extra mask steps (any language) run after post-processing, beside meshing, on the corrected label map.
    public var maskSteps: [StepEndpoint]
    /// The model catalog: requests are planned (and refused) at upload, before any stage runs.
    public var catalogPath: String
    /// Uploads larger than this are refused with 413 (the body is streamed to storage, never held).
    public var maximumUploadBytes: Int
    /// The pause, in seconds, before the gateway asks again for a running task's status that brought nothing new
    /// (a step that answers long-polls at once), and before an SSE stream looks at the log again unwoken.
    public var pollInterval: Double
    /// How long, in seconds, a stage may hold the gateway's status request until its task changes (long-poll
    /// `wait`; the stage answers at once on a new event or state).
    public var statusWait: Double
    /// Sample CTs a job can start from instead of an upload (`POST /v1/jobs?sample=NAME`): name → file.
    public var samples: [String: URL]

    public init(
        service: ServiceConfiguration, databasePath: String, apiKeys: [String], image: URL?, post: URL?, mesh: URL?,
        maskSteps: [StepEndpoint] = [], catalogPath: String, maximumUploadBytes: Int = 2 << 30,
        pollInterval: Double = 0.1, statusWait: Double = 10, jwt: JWTConfiguration? = nil, samples: [String: URL] = [:]
    ) {
        self.jwt = jwt
        self.service = service
        self.databasePath = databasePath
        self.apiKeys = apiKeys
        self.image = image
        self.post = post
        self.mesh = mesh
        self.maskSteps = maskSteps
        self.catalogPath = catalogPath
        self.maximumUploadBytes = maximumUploadBytes
        self.pollInterval = pollInterval
        self.statusWait = statusWait
        self.samples = samples
    }

    /// Every problem, listed together.
    public var problems: [String] {
        var problems = service.problems
        if apiKeys.isEmpty && jwt == nil {
            problems.append("no API key: set ORGANA_API_KEYS (or configure JWT with ORGANA_JWT_SECRET)")
        }
        problems += jwt?.problems ?? []
        if apiKeys.contains(where: { $0.utf8.count < 16 }) { problems.append("API keys must have at least 16 bytes") }
        if maximumUploadBytes <= 0 { problems.append("the upload limit must be positive") }
        if !FileManager.default.fileExists(atPath: catalogPath) {
            problems.append("no model catalog at \(catalogPath)")
        }
        let names = ["image", "post", "mesh"] + maskSteps.map(\.name)
        if Set(names).count != names.count {
            problems.append("mask step names must be unique (and not image/post/mesh)")
        }
        for (name, file) in samples.sorted(by: { $0.key < $1.key })
        where !FileManager.default.fileExists(atPath: file.path) {
            problems.append("no sample CT '\(name)' at \(file.path)")
        }
        return problems
    }

    /// Stage services without a URL (a problem unless the gateway runs in queue mode).
    public var stageURLProblems: [String] {
        [("image", image), ("post", post), ("mesh", mesh)].filter { $0.1 == nil }.map {
            "no \($0.0) service URL: set --\($0.0)-url (or --database-url for queue mode)"
        }
    }
}
