import Foundation

/// Streaming mesh writers: each structure is written as soon as it is handed over.
///
/// `MeshFileWriter` writes one file per structure (`DIR/<name>.<ext>`, each atomically: temporary file then
/// rename), the layout of the service's storage keys. `CombinedOBJWriter` appends every structure as its
/// own `o` object to one OBJ file (optionally with a `.mtl`), renamed into place by `finish()`.
public struct MeshFileWriter: Sendable {
    public var directory: URL
    public var format: MeshFileFormat
    /// Writes `<name>.mtl` beside each OBJ with the structure's colour.
    public var materials: Bool

    public init(directory: URL, format: MeshFileFormat = .obj, materials: Bool = false) {
        self.directory = directory
        self.format = format
        self.materials = materials
    }

    /// Writes one structure's file; returns its URL.
    @discardableResult
    public func write(_ structure: StructureMesh) throws(MeshingError) -> URL {
        let name = MeshEncoders.objName(structure.name)
        let url = directory.appendingPathComponent("\(name).\(format.fileExtension)")
        let bytes: [UInt8]
        switch format {
        case .obj:
            let library = materials ? "\(name).mtl" : nil
            if materials {
                let color = StructureStyle.color(for: structure.name, label: structure.label)
                try writeAtomically(
                    MeshEncoders.mtl([(name, color)]), to: directory.appendingPathComponent("\(name).mtl"))
            }
            bytes =
                MeshEncoders.objHeader(frame: structure.frame, materialLibrary: library)
                + MeshEncoders.objObject(
                    name: name, mesh: structure.mesh, firstVertex: 0, material: materials ? name : nil)
        case .stl: bytes = MeshEncoders.stl(name: name, mesh: structure.mesh, frame: structure.frame)
        case .ply: bytes = MeshEncoders.ply(name: name, mesh: structure.mesh, frame: structure.frame)
        }
        try writeAtomically(bytes, to: url)
        return url
    }
}

/// One OBJ file with one object per structure, written as structures arrive.
public final class CombinedOBJWriter {
    public let url: URL
    private let temporary: URL
    private let handle: FileHandle
    private var verticesWritten = 0
    private var materials: [(name: String, color: SIMD3<Double>)] = []
    private let writeMaterials: Bool

    /// Opens `url` (written to a temporary file until `finish()`); `materials` adds `<file>.mtl`.
    public init(url: URL, frame: WorldFrame, materials: Bool = false) throws(MeshingError) {
        self.url = url
        self.writeMaterials = materials
        temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
            throw MeshingError(.writeFailed, "cannot create \(temporary.path)")
        }
        do {
            handle = try FileHandle(forWritingTo: temporary)
        } catch {
            throw MeshingError(.writeFailed, "cannot open \(temporary.path)", underlying: "\(error)")
        }
        let library = materials ? url.deletingPathExtension().lastPathComponent + ".mtl" : nil
        try append(MeshEncoders.objHeader(frame: frame, materialLibrary: library))
    }

    /// Appends one structure as an `o` object.
    public func write(_ structure: StructureMesh) throws(MeshingError) {
        let name = MeshEncoders.objName(structure.name)
        if writeMaterials {
            materials.append((name, StructureStyle.color(for: structure.name, label: structure.label)))
        }
        try append(
            MeshEncoders.objObject(
                name: name, mesh: structure.mesh, firstVertex: verticesWritten,
                material: writeMaterials ? name : nil))
        verticesWritten += structure.mesh.positions.count
    }

    /// Closes the file, renames it into place and writes the `.mtl` if asked.
    public func finish() throws(MeshingError) {
        do {
            try handle.close()
        } catch {
            throw MeshingError(.writeFailed, "cannot close \(temporary.path)", underlying: "\(error)")
        }
        try replace(url, with: temporary)
        if writeMaterials {
            try writeAtomically(
                MeshEncoders.mtl(materials), to: url.deletingPathExtension().appendingPathExtension("mtl"))
        }
    }

    private func append(_ bytes: [UInt8]) throws(MeshingError) {
        do {
            try handle.write(contentsOf: Data(bytes))
        } catch {
            throw MeshingError(.writeFailed, "cannot write \(temporary.path)", underlying: "\(error)")
        }
    }
}

/// Writes `bytes` to a temporary file beside `url`, then renames it over `url`.
func writeAtomically(_ bytes: [UInt8], to url: URL) throws(MeshingError) {
    let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial")
    do {
        try Data(bytes).write(to: temporary)
    } catch {
        throw MeshingError(.writeFailed, "cannot write \(temporary.path)", underlying: "\(error)")
    }
    try replace(url, with: temporary)
}

private func replace(_ url: URL, with temporary: URL) throws(MeshingError) {
    if rename(temporary.path, url.path) != 0 {
        throw MeshingError(
            .writeFailed, "cannot rename \(temporary.path) to \(url.path)", underlying: "errno \(errno)")
    }
}
