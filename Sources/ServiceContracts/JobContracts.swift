// The public API's types (`/v1`): what a client sends and receives. Plain Codable values, no HTTP.

/// Where a job stands. Jobs move `queued → segmenting → postprocessing → meshing → done`, or to `failed`
/// from any stage; each transition is persisted before it is announced.
public enum JobState: String, Codable, Sendable, CaseIterable {
    case queued, segmenting, postprocessing, meshing, done, failed

    /// `done` or `failed`: nothing more will happen to the job.
    public var isTerminal: Bool { self == .done || self == .failed }
}

/// What a client asks of a job (query parameters of `POST /v1/jobs`).
public struct JobOptions: Codable, Sendable, Hashable {
    /// Canonical structure names; empty means every structure the catalog offers.
    public var structures: [String]
    /// Model family → version (`ureter=1`), instead of the newest.
    public var pins: [String: Int]
    /// Run the coarse preview model first.
    public var preview: Bool
    /// Mirroring test-time augmentation.
    public var mirroring: Bool
    /// Sliding-window step as a fraction of the patch, in (0, 1].
    public var tileStep: Double
    /// Stop after segmentation (no post-processing, no meshes).
    public var segmentOnly: Bool
    /// How the meshes are made.
    public var mesh: MeshSettings

    public init(
        structures: [String] = [], pins: [String: Int] = [:], preview: Bool = false, mirroring: Bool = true,
        tileStep: Double = 0.5, segmentOnly: Bool = false, mesh: MeshSettings = MeshSettings()
    ) {
        self.structures = structures
        self.pins = pins
        self.preview = preview
        self.mirroring = mirroring
        self.tileStep = tileStep
        self.segmentOnly = segmentOnly
        self.mesh = mesh
    }

    enum CodingKeys: String, CodingKey {
        case structures, pins, preview, mirroring, tileStep, segmentOnly, mesh
    }

    /// Decodes options; `mesh` may be absent (jobs recorded before it existed get the defaults).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        structures = try container.decode([String].self, forKey: .structures)
        pins = try container.decode([String: Int].self, forKey: .pins)
        preview = try container.decode(Bool.self, forKey: .preview)
        mirroring = try container.decode(Bool.self, forKey: .mirroring)
        tileStep = try container.decode(Double.self, forKey: .tileStep)
        segmentOnly = try container.decode(Bool.self, forKey: .segmentOnly)
        mesh = try container.decodeIfPresent(MeshSettings.self, forKey: .mesh) ?? MeshSettings()
    }
}

/// A job's mesh settings (the defaults are `organa run`'s).
public struct MeshSettings: Codable, Sendable, Hashable {
    /// Slicer-style smoothing factor in [0, 1]; 0 turns smoothing off.
    public var smoothing: Double
    /// Fraction of triangles removed after smoothing, in [0, 1) (0.8 keeps 20 %).
    public var decimation: Double

    public init(smoothing: Double = 0.5, decimation: Double = 0) {
        self.smoothing = smoothing
        self.decimation = decimation
    }
}

/// A stored result of a job, addressed by its storage key.
public struct Artifact: Codable, Sendable, Hashable {
    /// `labels`, `mask`, `preview`, `fat-candidate`, `post`, `report`, `mesh`.
    public var kind: String
    /// Canonical structure name, for masks and meshes.
    public var structure: String?
    /// Storage key (`jobs/{id}/masks/kidney.nii.gz`).
    public var key: String

    public init(kind: String, structure: String? = nil, key: String) {
        self.kind = kind
        self.structure = structure
        self.key = key
    }
}

/// `GET /v1/jobs/{id}` and the answer of `POST /v1/jobs`.
public struct JobResource: Codable, Sendable, Hashable {
    public var id: String
    public var state: JobState
    public var options: JobOptions
    /// Seconds since 1970.
    public var createdAt: Double
    public var updatedAt: Double
    /// Why the job failed.
    public var error: String?
    /// Everything stored so far, in the order it appeared; fetch with `GET /v1/jobs/{id}/artifacts/{path}`.
    public var artifacts: [Artifact]

    public init(
        id: String, state: JobState, options: JobOptions, createdAt: Double, updatedAt: Double, error: String?,
        artifacts: [Artifact]
    ) {
        self.id = id
        self.state = state
        self.options = options
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.error = error
        self.artifacts = artifacts
    }
}

/// One Server-Sent Event of `GET /v1/jobs/{id}/events` (its `data:` line; `id:` is `sequence`).
public struct JobEvent: Codable, Sendable, Hashable {
    /// `state`, `progress`, `artifact`.
    public var type: String
    /// Position in the job's event log, from 1.
    public var sequence: Int
    public var state: JobState?
    /// Stage or model the progress is about.
    public var stage: String?
    public var done: Int?
    public var total: Int?
    public var artifact: Artifact?
    public var message: String?

    public init(
        type: String, sequence: Int = 0, state: JobState? = nil, stage: String? = nil, done: Int? = nil,
        total: Int? = nil, artifact: Artifact? = nil, message: String? = nil
    ) {
        self.type = type
        self.sequence = sequence
        self.state = state
        self.stage = stage
        self.done = done
        self.total = total
        self.artifact = artifact
        self.message = message
    }
}

/// One model of `GET /v1/models`.
public struct ModelDescription: Codable, Sendable, Hashable {
    public var id: String
    public var family: String
    public var version: Int
    public var role: String
    public var structures: [String]
    /// Its weights are present on the image service's disk.
    public var available: Bool

    public init(id: String, family: String, version: Int, role: String, structures: [String], available: Bool) {
        self.id = id
        self.family = family
        self.version = version
        self.role = role
        self.structures = structures
        self.available = available
    }
}

/// The one JSON error shape of every service: `{"error": {"code": ..., "message": ...}}`.
public struct ErrorBody: Codable, Sendable, Hashable {
    public struct Detail: Codable, Sendable, Hashable {
        public var code: String
        public var message: String
    }
    public var error: Detail

    public init(code: String, message: String) { error = Detail(code: code, message: message) }
}
