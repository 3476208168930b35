import Foundation

/// Every environment variable `organa serve` reads: the one list the services read through and
/// `--check-configuration` reports (the deployment check, `tools/deploy/check_deploy.py`, refuses a variable that a
/// manifest sets and no service reads). Flags win over the environment; secrets come only from here.
enum ServiceEnvironment: String, CaseIterable, Codable {
    /// The object store folder (`--store` wins).
    case store = "ORGANA_STORE"
    /// The shared secret of gateway-signed internal calls (≥ 16 bytes).
    case internalSecret = "ORGANA_INTERNAL_SECRET"
    /// Bearer tokens the gateway accepts on `/v1`, comma-separated (each ≥ 16 bytes).
    case apiKeys = "ORGANA_API_KEYS"
    /// The HS256 secret of the JWTs the gateway accepts (then `--jwt-issuer` and `--jwt-audience` are required).
    case jwtSecret = "ORGANA_JWT_SECRET"

    /// The value in this process's environment, if set.
    var value: String? { ProcessInfo.processInfo.environment[rawValue] }

    /// The variables `organa serve <service>` reads (`service`: gateway, image, post, mesh or all).
    static func read(by service: String) -> [ServiceEnvironment] {
        switch service {
        case "gateway", "all": [.store, .internalSecret, .apiKeys, .jwtSecret]
        default: [.store, .internalSecret]
        }
    }
}
