import Foundation
import NiftiIO
import OrganaTestSupport
import Testing

/// Runs the built `organa` executable as a user would.
@Suite struct InfoCommandTests {
    /// The `organa` binary in the same build products folder as this test binary.
    static var executable: URL {
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        return testBinary.deletingLastPathComponent().appendingPathComponent("organa")
    }

    static func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try run(executable.path, arguments)
    }

    /// Runs `executable` (from `directory` when given, with `environment` instead of this process's when given);
    /// its exit status and what it wrote.
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, in directory: URL? = nil
    ) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let directory { process.currentDirectoryURL = directory }
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let stdout = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, stdout, stderr)
    }

    static var sample: String { RepositoryPaths.root.appendingPathComponent("Samples/sample-ct.nii.gz").path }

    @Test func jsonMatchesTheLibrarySummary() throws {
        let result = try Self.run(["info", Self.sample, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let summary = try JSONDecoder().decode(NiftiImageSummary.self, from: Data(result.stdout.utf8))
        #expect(summary == (try NiftiReader.read(Self.sample).summary))
        #expect(summary.size == [96, 96, 40])
        #expect(summary.orientation == "LPS")
        #expect(summary.voxelType == "int16")
        #expect(summary.memoryBytes == 96 * 96 * 40 * 2)
    }

    @Test func textNamesEveryField() throws {
        let result = try Self.run(["info", Self.sample])
        #expect(result.status == 0)
        for field in [
            "format:", "datatype:", "size:", "spacing:", "origin:", "direction:", "orientation:", "value range:",
            "memory:",
        ] {
            #expect(result.stdout.contains(field), "missing \(field)")
        }
        #expect(result.stdout.contains("96 × 96 × 40"))
    }

    @Test func badFileFailsWithAClearMessage() throws {
        let folder = try RepositoryPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("not-an-image.nii").path
        try Data("hello".utf8).write(to: URL(fileURLWithPath: path))
        let result = try Self.run(["info", path])
        #expect(result.status != 0)
        #expect(result.stderr.contains("notNifti"))
        #expect(result.stderr.contains(path))
    }
}
