import ArgumentParser
import ArrayCore
import Foundation
import Meshing
import NiftiIO
import VolumeCore

/// `organa mesh --labels seg.nii.gz --out DIR`: one smoothed, decimated mesh file per structure.
struct MeshCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mesh",
        abstract: "Turn a label map into one closed, smoothed surface mesh per structure (OBJ by default).",
        discussion: """
            Each structure is meshed on its bounding box (discrete marching cubes), smoothed with a windowed-sinc
            filter (Slicer's smoothing factor), offset back to its voxel volume, decimated by quadric edge
            collapse and written to DIR/<name>.<format> as soon as it is done. Positions are world millimetres in
            LPS (or RAS); OBJ files say which in a `# SPACE=` header line.
            """)

    @Option(help: "Label map (.nii or .nii.gz); each non-zero integer value is one structure.")
    var labels: String

    @Option(help: "Output folder (created if missing).")
    var out: String

    @Option(help: "Smoothing factor 0…1 (Slicer's): pass band 10^(−4f), 20 + 40f iterations; 0 = none.")
    var smoothing: Double = 0.5

    @Option(help: "Fraction of triangles to remove after smoothing, 0 ≤ d < 1 (0.8 keeps 20 %).")
    var decimate: Double = 0

    @Option(help: "obj, stl or ply.")
    var format: String = "obj"

    @Option(help: "World frame of the output: lps (default) or ras.")
    var space: String = "lps"

    @Option(
        help: """
            Structure names, e.g. 1=kidney,2=tumor. Default: the "labels" object of a labels.json beside the \
            label map (as organa phantom writes), else label_N.
            """)
    var names: String?

    @Option(help: "Smoothing method: windowed-sinc (default), taubin or laplacian.")
    var method: String = "windowed-sinc"

    @Option(help: "Also write every structure into this one OBJ file (inside --out), one `o` per structure.")
    var combined: String?

    @Flag(help: "Write .mtl colours next to OBJ files.")
    var mtl = false

    @Flag(help: "Same smoothing for every structure (no gentler default for vessels and ureter).")
    var uniformSmoothing = false

    @Flag(help: "Do not offset smoothed surfaces back to the voxel volume.")
    var noVolumeCorrection = false

    @Option(help: "Write a JSON quality report (triangles, volume ratio, surface distance, topology) here.")
    var report: String?

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    func run() throws {
        if let threads { ParallelSettings.workerCount = threads }
        let options = try meshingOptions()
        guard let fileFormat = MeshFileFormat(rawValue: format.lowercased()) else {
            throw ValidationError("--format \(format) is not one of obj, stl, ply")
        }
        let structureNames = try parseNames()
        let start = Date()
        let image = try NiftiReader.read(labels)
        let readSeconds = Date().timeIntervalSince(start)
        if case .uint8(let labelMap) = image.volume {
            try mesh(
                labelMap, options: options, fileFormat: fileFormat, names: structureNames, readSeconds: readSeconds)
        } else {
            let labelMap = try Self.integerLabels(image.volume, path: labels)
            try mesh(
                labelMap, options: options, fileFormat: fileFormat, names: structureNames, readSeconds: readSeconds)
        }
    }

    private func mesh<V: Scalar & FixedWidthInteger>(
        _ labelMap: Volume<V>, options: MeshingOptions, fileFormat: MeshFileFormat, names structureNames: [Int: String],
        readSeconds: Double
    ) throws {
        let folder = URL(fileURLWithPath: out)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let writer = MeshFileWriter(directory: folder, format: fileFormat, materials: mtl)
        let combinedWriter = try combined.map {
            try CombinedOBJWriter(url: folder.appendingPathComponent($0), frame: options.frame, materials: mtl)
        }
        var reports: [MeshQualityReport] = []
        let meshStart = Date()
        try LabelMapMesher.meshes(of: labelMap, names: structureNames, options: options) { structure in
            let url = try writer.write(structure)
            try combinedWriter?.write(structure)
            print("\(structure.name): \(structure.mesh.triangles.count) triangles → \(url.path)")
            if report != nil { reports.append(MeshQualityReport(structure: structure, labelMap: labelMap)) }
        }
        try combinedWriter?.finish()
        let meshSeconds = Date().timeIntervalSince(meshStart)
        print(String(format: "read %.3f s, meshed and wrote %.3f s", readSeconds, meshSeconds))
        if let report {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            try encoder.encode(reports.sorted { $0.label < $1.label }).write(to: URL(fileURLWithPath: report))
        }
    }

    private func meshingOptions() throws -> MeshingOptions {
        let methods: [String: SmoothingOptions.Method] = [
            "windowed-sinc": .windowedSinc, "taubin": .taubin, "laplacian": .laplacian,
        ]
        guard let smoothingMethod = methods[method.lowercased()] else {
            throw ValidationError("--method \(method) is not one of windowed-sinc, taubin, laplacian")
        }
        guard let frame = WorldFrame(rawValue: space.uppercased()) else {
            throw ValidationError("--space \(space) is not one of lps, ras")
        }
        let options = MeshingOptions(
            smoothingFactor: smoothing, smoothingMethod: smoothingMethod, perStructureDefaults: !uniformSmoothing,
            decimation: decimate, frame: frame, normals: true, preserveVolume: !noVolumeCorrection)
        try options.validate()
        return options
    }

    private func parseNames() throws -> [Int: String] {
        guard let names else { return try Self.sidecarNames(besides: labels) }
        var result: [Int: String] = [:]
        for pair in names.split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let label = Int(parts[0].trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("--names entry '\(pair)' is not LABEL=NAME")
            }
            result[label] = parts[1].trimmingCharacters(in: .whitespaces)
        }
        return result
    }

    /// Names from `labels.json` in the label map's folder (`{"labels": {"kidney": 1, ...}}`), if there is one.
    static func sidecarNames(besides labelMap: String) throws -> [Int: String] {
        let sidecar = URL(fileURLWithPath: labelMap).deletingLastPathComponent().appendingPathComponent("labels.json")
        guard let data = try? Data(contentsOf: sidecar) else { return [:] }
        struct Sidecar: Decodable { var labels: [String: Int] }
        guard let table = try? JSONDecoder().decode(Sidecar.self, from: data) else {
            throw ValidationError("\(sidecar.path) has no \"labels\" object of name: value pairs; pass --names")
        }
        return Dictionary(table.labels.filter { $0.value != 0 }.map { ($0.value, $0.key) }) { first, _ in first }
    }

    /// The label map as integers: UInt8 kept, other types converted to Int32 (values must be whole).
    static func integerLabels(_ volume: AnyVolume, path: String) throws -> Volume<Int32> {
        let converted = volume.converted(to: Int32.self)
        if volume.kind.isFloatingPoint {
            let original = volume.converted(to: Double.self)
            if zip(original.voxels.elements, converted.voxels.elements).contains(where: { $0 != Double($1) }) {
                throw ValidationError("\(path) holds non-integer values: a label map must hold whole numbers")
            }
        }
        return converted
    }
}
