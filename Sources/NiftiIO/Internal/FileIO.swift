#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only file opened with POSIX calls, read sequentially in chunks.
final class InputFile {
    let path: String
    let size: Int
    fileprivate let descriptor: Int32

    init(path: String) throws {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw NiftiError(.io, "cannot open: \(errnoText())", path: path) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            close(descriptor)
            throw NiftiError(.io, "cannot stat: \(errnoText())", path: path)
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            close(descriptor)
            throw NiftiError(.io, "not a regular file", path: path)
        }
        self.path = path
        self.size = Int(info.st_size)
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Reads up to `buffer.count` bytes at the current position; returns the number read (0 at end of file).
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        while true {
            let count = Glibc.read(descriptor, base, buffer.count)
            if count >= 0 { return count }
            if errno == EINTR { continue }
            throw NiftiError(.io, "read failed: \(errnoText())", path: path)
        }
    }

    /// Fills `buffer` completely; returns the number of bytes read, smaller only at end of file.
    func readFully(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        var filled = 0
        while filled < buffer.count {
            let count = try read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[filled...]))
            if count == 0 { break }
            filled += count
        }
        return filled
    }

    /// Reads the whole file from the start (the caller has bounded `size`).
    func readAll() throws -> [UInt8] {
        guard lseek(descriptor, 0, SEEK_SET) == 0 else {
            throw NiftiError(.io, "seek failed: \(errnoText())", path: path)
        }
        var bytes = [UInt8](repeating: 0, count: size)
        let count = try bytes.withUnsafeMutableBytes { (raw) throws -> Int in try readFully(into: raw) }
        if count < size { bytes.removeLast(size - count) }
        return bytes
    }

    /// Moves the read position to `offset` bytes from the start.
    func seek(to offset: Int) throws {
        guard lseek(descriptor, off_t(offset), SEEK_SET) == off_t(offset) else {
            throw NiftiError(.io, "seek to \(offset) failed: \(errnoText())", path: path)
        }
    }
}

/// Writes a file atomically: bytes go to a temporary file in the same folder, which is renamed over the target
/// only when everything was written, so a reader never sees a partial file and a failure leaves no debris.
struct AtomicFileWriter {
    private let descriptor: Int32
    private let path: String

    /// Opens a temporary file next to `path`, lets `body` write into it, and renames it into place.
    static func write(to path: String, body: (AtomicFileWriter) throws -> Void) throws {
        let temporary = "\(path).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw NiftiError(.io, "cannot create \(temporary): \(errnoText())", path: path)
        }
        do {
            try body(AtomicFileWriter(descriptor: descriptor, path: path))
            guard fsync(descriptor) == 0 else { throw NiftiError(.io, "fsync failed: \(errnoText())", path: path) }
            close(descriptor)
            guard rename(temporary, path) == 0 else {
                throw NiftiError(.io, "cannot rename \(temporary) into place: \(errnoText())", path: path)
            }
        } catch {
            close(descriptor)
            unlink(temporary)
            throw error
        }
    }

    /// Appends `bytes`.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        var written = 0
        while written < bytes.count {
            let count = Glibc.write(descriptor, bytes.baseAddress! + written, bytes.count - written)
            if count < 0 {
                if errno == EINTR { continue }
                throw NiftiError(.io, "write failed: \(errnoText())", path: path)
            }
            written += count
        }
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }
}

func errnoText() -> String { String(cString: strerror(errno)) }

/// A whole file mapped read-only (private), unmapped on deinit.
final class MappedFile {
    let bytes: UnsafeRawBufferPointer

    /// Maps `file`; nil when it is empty or cannot be mapped (the caller reads it instead).
    init?(_ file: InputFile) {
        guard file.size > 0, let pointer = file.map() else { return nil }
        bytes = UnsafeRawBufferPointer(start: pointer, count: file.size)
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count) }
}

extension InputFile {
    /// `mmap(PROT_READ, MAP_PRIVATE)` of the whole file, or nil.
    fileprivate func map() -> UnsafeRawPointer? {
        let pointer = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0)
        guard let pointer, pointer != MAP_FAILED else { return nil }
        return UnsafeRawPointer(pointer)
    }
}
