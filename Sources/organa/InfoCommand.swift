import ArgumentParser
import Foundation
import NiftiIO

/// `organa info FILE [--json]`: what a NIfTI file holds and where it sits in the world.
struct InfoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info",
        abstract: "Print the dimensions, geometry, datatype and value range of a NIfTI file.")

    @Argument(help: "A .nii or .nii.gz file.")
    var file: String

    @Flag(help: "Print one JSON object (geometry in SimpleITK's conventions: x,y,z order, LPS mm).")
    var json = false

    func run() throws {
        let summary = try NiftiReader.read(file).summary
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        } else {
            print(Self.text(summary, file: file))
        }
    }

    static func text(_ s: NiftiImageSummary, file: String) -> String {
        var lines = [
            "file:         \(file)",
            "format:       \(s.format)\(s.compressed ? " (gzip)" : "")",
            "datatype:     \(s.storedDatatype) stored, \(s.voxelType) in memory",
            "size:         \(s.size.map(String.init).joined(separator: " × ")) voxels (x × y × z)"
                + (s.volumeCount > 1 ? ", first of \(s.volumeCount) volumes" : ""),
            "spacing:      \(numbers(s.spacing)) mm",
            "origin:       \(numbers(s.origin)) mm (LPS)",
            "direction:    \(numbers(Array(s.direction[0..<3]))) | \(numbers(Array(s.direction[3..<6]))) | \(numbers(Array(s.direction[6..<9])))",
            "orientation:  \(s.orientation) (from the \(s.transformSource); qform_code \(s.qformCode), sform_code \(s.sformCode))",
            "value range:  \(s.minimum.map { number($0) } ?? "-") … \(s.maximum.map { number($0) } ?? "-")",
            "memory:       \(megabytes(s.memoryBytes))",
        ]
        lines += s.warnings.map { "warning:      \($0)" }
        return lines.joined(separator: "\n")
    }

    private static func numbers(_ values: [Double]) -> String {
        values.map { number($0) }.joined(separator: ", ")
    }

    private static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(format: "%.6g", value)
    }

    private static func megabytes(_ bytes: Int) -> String {
        String(format: "%.2f MiB (%d bytes)", Double(bytes) / 1_048_576, bytes)
    }
}
