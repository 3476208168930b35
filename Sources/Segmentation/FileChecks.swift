import Foundation

/// File-system questions the library asks (kept in one place).
enum FileChecks {
    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }
}
