import ArgumentParser
import Foundation
import Segmentation
import ServiceSupport

/// `organa serve <service> … --check-configuration`: the deployment files' command lines go through the real
/// argument parser and the real configuration code without serving (`tools/deploy/check_deploy.py`, issue 10).
struct ConfigurationCheckOptions: ParsableArguments {
    @Flag(
        help: """
            Parse the flags and environment, build and validate the configuration, print it as JSON and exit \
            (0 when usable; every problem listed otherwise). No port is bound, no model loaded, nothing written.
            """)
    var checkConfiguration = false
}

/// What `--check-configuration` prints on stdout: the settings a deployment check compares with its files.
struct ConfigurationReport: Encodable {
    /// gateway, image, post, mesh or all.
    var service: String
    var host: String
    var port: Int
    /// The environment variables this service reads (`ServiceEnvironment`), set or not.
    var environment: [String]
    /// Of those, the ones set in this process's environment (values never printed).
    var environmentSet: [String]
    /// Further settings by flag name (`catalog`, `memory-budget`, `image-url`, …), as text.
    var settings: [String: String]

    init(service: String, configuration: ServiceConfiguration, settings: [String: String] = [:]) {
        self.service = service
        host = configuration.host
        port = configuration.port
        let read = ServiceEnvironment.read(by: service)
        environment = read.map(\.rawValue)
        environmentSet = read.filter { $0.value != nil }.map(\.rawValue)
        self.settings = settings
    }

    /// Reads the model catalog as the service would at start-up (the JSON only: no weights).
    static func checkCatalog(_ path: String) throws {
        do { _ = try ModelCatalog.load(path) } catch { throw ValidationError("model catalog \(path): \(error)") }
    }

    func print() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        FileHandle.standardOutput.write(try encoder.encode(self) + Data("\n".utf8))
    }
}
