import ArgumentParser
import Foundation
import NiftiIO
import Phantom

/// The sample CTs the gateway offers (`POST /v1/jobs?sample=NAME`, the viewer's "phantom" button).
enum ServeSamples {
    /// The built-in sample: the end-to-end tests' phantom (seed 9002, 128×128×60 voxels of 3×3×5 mm), small
    /// enough for a job of well under a minute; its 5 mm slices suit the kidney and tumour models.
    static let phantomOptions = PhantomOptions(
        size: SIMD3(128, 128, 60), spacing: SIMD3(3, 3, 5), seed: 9002)

    /// `--sample NAME=PATH` flags, plus `phantom` (generated once into `samples/phantom.nii.gz` under the object
    /// store folder, so a lone binary has a sample without any file beside it; not when `writingPhantom` is false).
    static func resolve(_ flags: [String], storeRoot: URL, writingPhantom: Bool = true) throws -> [String: URL] {
        var samples: [String: URL] = [:]
        for text in flags {
            let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw ValidationError("--sample \(text) is not NAME=PATH")
            }
            samples[parts[0]] = URL(fileURLWithPath: parts[1])
        }
        if writingPhantom, samples["phantom"] == nil { samples["phantom"] = try phantom(storeRoot: storeRoot) }
        return samples
    }

    /// Writes the built-in phantom's CT unless it is there (written to a temporary name, then renamed).
    static func phantom(storeRoot: URL) throws -> URL {
        let folder = storeRoot.appendingPathComponent("samples")
        let file = folder.appendingPathComponent("phantom.nii.gz")
        if FileManager.default.fileExists(atPath: file.path) { return file }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let temporary = folder.appendingPathComponent(".phantom-\(UUID().uuidString).nii.gz")
        try NiftiWriter.write(try generatePhantom(phantomOptions).ct, to: temporary.path)
        _ = try? FileManager.default.replaceItemAt(file, withItemAt: temporary)
        if !FileManager.default.fileExists(atPath: file.path) {
            try FileManager.default.moveItem(at: temporary, to: file)
        }
        return file
    }
}
