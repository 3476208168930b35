import ArrayCore
import Foundation
import NiftiIO
import VolumeCore

extension PhantomCase {
    /// File names written by `write(to:)`.
    public static let ctFileName = "ct.nii.gz"
    public static let labelsFileName = "labels.nii.gz"
    public static let descriptionFileName = "labels.json"

    /// Writes `ct.nii.gz` (int16 HU), `labels.nii.gz` (uint8) and `labels.json` (label names, options and
    /// anatomy facts) into `folder`, creating it when needed.
    /// - Throws: `PhantomError.writeFailed` naming the path, with the underlying error.
    public func write(to folder: String) throws(PhantomError) {
        let url = URL(fileURLWithPath: folder)
        try createFolder(url)
        try writeNifti(ct, to: url.appendingPathComponent(Self.ctFileName).path)
        try writeNifti(labels, to: url.appendingPathComponent(Self.labelsFileName).path)
        let description = PhantomDescription(
            labels: Dictionary(uniqueKeysWithValues: PhantomLabel.allCases.map { ($0.name, Int($0.rawValue)) }),
            options: options,
            anatomy: anatomy)
        try writeJSON(description, to: url.appendingPathComponent(Self.descriptionFileName))
    }
}

/// The content of `labels.json` beside a phantom (keys sorted, so equal phantoms give equal bytes).
struct PhantomDescription: Encodable {
    var labels: [String: Int]
    var options: PhantomOptions
    var anatomy: PhantomAnatomy
}

func createFolder(_ url: URL) throws(PhantomError) {
    do {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    } catch {
        throw PhantomError(.writeFailed, "cannot create folder \(url.path)", underlying: error)
    }
}

func writeNifti<V: Scalar & BitwiseCopyable>(_ volume: Volume<V>, to path: String) throws(PhantomError) {
    do {
        try NiftiWriter.write(volume, to: path)
    } catch {
        throw PhantomError(.writeFailed, "cannot write \(path)", underlying: error)
    }
}

func writeJSON(_ value: some Encodable, to url: URL) throws(PhantomError) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    do {
        try writeText(String(decoding: try encoder.encode(value), as: UTF8.self), to: url)
    } catch let error as PhantomError {
        throw error
    } catch {
        throw PhantomError(.writeFailed, "cannot encode \(url.path)", underlying: error)
    }
}

func writeText(_ text: String, to url: URL) throws(PhantomError) {
    do {
        try Data((text + "\n").utf8).write(to: url, options: .atomic)
    } catch {
        throw PhantomError(.writeFailed, "cannot write \(url.path)", underlying: error)
    }
}

/// `text` as a JSON string literal.
func jsonString(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}
