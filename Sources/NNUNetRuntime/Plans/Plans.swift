import Foundation

/// An nnU-Net `plans.json` with every configuration's `inherits_from` resolved (nnunetv2 `PlansManager`).
public struct Plans: Sendable, Equatable {
    /// Per-channel foreground intensity statistics used by `CTNormalization`.
    public struct IntensityProperties: Sendable, Equatable {
        public var mean: Double
        public var std: Double
        public var median: Double?
        public var min: Double?
        public var max: Double?
        public var percentile00_5: Double
        public var percentile99_5: Double
    }

    public var datasetName: String
    public var plansName: String
    /// Reader class name, e.g. `SimpleITKIO`.
    public var imageReaderWriter: String
    /// Axis permutation applied after reading (research §3.2).
    public var transposeForward: [Int]
    /// Axis permutation applied before writing.
    public var transposeBackward: [Int]
    /// Keyed by channel index.
    public var foregroundIntensityProperties: [Int: IntensityProperties]
    /// Every configuration, inheritance resolved, keyed by name.
    public var configurations: [String: ConfigurationPlan]

    /// Configuration names in a stable order (sorted).
    public var configurationNames: [String] { configurations.keys.sorted() }

    /// The configuration `name`, or an error listing the ones that exist.
    public func configuration(_ name: String) throws(NNUNetError) -> ConfigurationPlan {
        guard let configuration = configurations[name] else {
            throw NNUNetError(
                .unknownConfiguration,
                "plans.json has no configuration \"\(name)\" (it has \(configurationNames.joined(separator: ", ")))")
        }
        return configuration
    }

    /// Reads `plans.json` from a file.
    public static func load(_ path: String) throws(NNUNetError) -> Plans {
        let data = try readFile(path)
        do {
            return try Plans(json: data)
        } catch {
            throw error.at(path)
        }
    }

    /// Decodes the content of a `plans.json`.
    public init(json data: Data) throws(NNUNetError) {
        let root = JSONField(try JSONValue.parse(data, what: "plans.json"), path: "plans.json")
        datasetName = try root.optional("dataset_name")?.string() ?? ""
        plansName = try root.optional("plans_name")?.string() ?? ""
        imageReaderWriter = try root.optional("image_reader_writer")?.string() ?? "SimpleITKIO"
        transposeForward = try root["transpose_forward"].intArray()
        transposeBackward = try root["transpose_backward"].intArray()
        for (key, permutation) in [("transpose_forward", transposeForward), ("transpose_backward", transposeBackward)]
        where permutation.sorted() != Array(0..<permutation.count) {
            throw NNUNetError(.invalidJSON, "plans.json.\(key) \(permutation) is not a permutation")
        }
        let modernIntensity = try root.optional("foreground_intensity_properties_per_channel")
        let legacyIntensity = try root.optional("foreground_intensity_properties_by_modality")
        let intensityField = modernIntensity ?? legacyIntensity
        foregroundIntensityProperties = [:]
        for (key, field) in try intensityField?.object() ?? [] {
            guard let channel = Int(key) else {
                throw NNUNetError(.invalidJSON, "\(field.path): channel key \"\(key)\" is not an integer")
            }
            foregroundIntensityProperties[channel] = try IntensityProperties(field)
        }
        configurations = try Self.resolveConfigurations(try root["configurations"])
    }

    /// Resolves `inherits_from` (child keys override the parent's, recursively) and decodes each configuration.
    private static func resolveConfigurations(_ field: JSONField) throws(NNUNetError) -> [String: ConfigurationPlan] {
        let raw = try field.object()
        var members: [String: [String: JSONValue]] = [:]
        for (name, value) in raw {
            guard case .object(let object) = value.value else {
                throw NNUNetError(.invalidJSON, "\(value.path) should be an object")
            }
            members[name] = object
        }
        func resolved(_ name: String, chain: [String]) throws(NNUNetError) -> [String: JSONValue] {
            guard let own = members[name] else {
                throw NNUNetError(
                    .unknownConfiguration,
                    "configuration \"\(chain.last ?? name)\" inherits from \"\(name)\", which plans.json does not define"
                )
            }
            guard !chain.contains(name) else {
                throw NNUNetError(
                    .unknownConfiguration,
                    "inherits_from cycle: \((chain + [name]).joined(separator: " → "))")
            }
            guard case .string(let parent)? = own["inherits_from"] else { return own }
            var merged = try resolved(parent, chain: chain + [name])
            for (key, value) in own { merged[key] = value }
            merged["inherits_from"] = nil
            return merged
        }
        var result: [String: ConfigurationPlan] = [:]
        for name in members.keys.sorted() {
            let object = try resolved(name, chain: [])
            result[name] = try ConfigurationPlan(
                name: name, field: JSONField(.object(object), path: "\(field.path).\(name)"))
        }
        return result
    }
}

extension Plans.IntensityProperties {
    init(_ field: JSONField) throws(NNUNetError) {
        mean = try field["mean"].double()
        std = try field["std"].double()
        median = try field.optional("median")?.double()
        min = try field.optional("min")?.double()
        max = try field.optional("max")?.double()
        percentile00_5 = try field["percentile_00_5"].double()
        percentile99_5 = try field["percentile_99_5"].double()
    }
}
