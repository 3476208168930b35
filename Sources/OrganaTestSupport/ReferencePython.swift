import Foundation

/// Runs the reference Python tools (SimpleITK, nibabel) for tests that check Organa's output with them.
///
/// The interpreter is `$ORGANA_REFERENCE_PYTHON`, set by `scripts/test.sh` after
/// `scripts/setup-reference-python.sh` has built the venv from `tools/requirements-reference.txt`.
public enum ReferencePython {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The interpreter path, or a failure that says how to get one.
    public static func interpreter() throws -> String {
        guard let path = ProcessInfo.processInfo.environment["ORGANA_REFERENCE_PYTHON"], !path.isEmpty else {
            throw Failure(
                description: "ORGANA_REFERENCE_PYTHON is not set: run the tests with scripts/test.sh, or export "
                    + "ORGANA_REFERENCE_PYTHON=$(scripts/setup-reference-python.sh)")
        }
        return path
    }

    /// Runs `script` (a path relative to the repository root) with `arguments`; returns its standard output.
    public static func run(script: String, arguments: [String]) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try interpreter())
        process.arguments = [RepositoryPaths.root.appendingPathComponent(script).path] + arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure(description: "\(script) exited with \(process.terminationStatus): \(errorText)")
        }
        return data
    }
}

/// Paths inside the repository, found from this source file's location.
public enum RepositoryPaths {
    /// The repository root (two folders above `Sources/OrganaTestSupport`).
    public static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    /// A fresh temporary folder for one test.
    public static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("organa-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
