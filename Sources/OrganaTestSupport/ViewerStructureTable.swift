import Foundation

/// The web viewer's structure table (`STRUCTURES` in `Sources/GatewayApp/Viewer/app.js`): label values and
/// colours the page repeats from Swift, read so that tests can hold them to `Structure` and `StructureStyle`.
public enum ViewerStructureTable {
    public struct Entry: Sendable, Hashable {
        public var name: String
        public var label: Int
        /// 0...255 per channel.
        public var rgb: [Int]
    }

    /// Every `{ name: '…', label: N, color: '#rrggbb' … }` line of `app.js`.
    public static func entries() throws -> [Entry] {
        let url = RepositoryPaths.root.appendingPathComponent("Sources/GatewayApp/Viewer/app.js")
        let text = try String(contentsOf: url, encoding: .utf8)
        let pattern = try NSRegularExpression(
            pattern: #"\{ name: '([a-z_]+)', label: (\d+), color: '#([0-9a-f]{6})'"#)
        return pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { match in
            let field = { (n: Int) in String(text[Range(match.range(at: n), in: text)!]) }
            let hex = Array(field(3))
            let rgb = stride(from: 0, to: 6, by: 2).map { Int(String(hex[$0..<$0 + 2]), radix: 16)! }
            return Entry(name: field(1), label: Int(field(2))!, rgb: rgb)
        }
    }
}
