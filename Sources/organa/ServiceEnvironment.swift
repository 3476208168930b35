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
    /// S3 mode (design 0008): the endpoint, bucket, region and addressing (`--s3-*` win); credentials only here.
    case s3Endpoint = "ORGANA_S3_ENDPOINT"
    case s3Bucket = "ORGANA_S3_BUCKET"
    case s3Region = "ORGANA_S3_REGION"
    case s3Addressing = "ORGANA_S3_ADDRESSING"
    case s3AccessKeyID = "ORGANA_S3_ACCESS_KEY_ID"
    case s3SecretAccessKey = "ORGANA_S3_SECRET_ACCESS_KEY"
    case databaseURL = "ORGANA_DATABASE_URL"
    case databasePassword = "ORGANA_DATABASE_PASSWORD"
    case workerID = "ORGANA_WORKER_ID"

    static let s3: [ServiceEnvironment] = [
        .s3Endpoint, .s3Bucket, .s3Region, .s3Addressing, .s3AccessKeyID, .s3SecretAccessKey,
    ]

    /// Queue mode (design 0008): PostgreSQL (`--database-url` wins; the password only here) and the replica's id.
    static let queue: [ServiceEnvironment] = [.databaseURL, .databasePassword, .workerID]

    /// The value in this process's environment, if set.
    var value: String? { ProcessInfo.processInfo.environment[rawValue] }

    /// The variables `organa serve <service>` reads (`service`: gateway, image, post, mesh or all).
    static func read(by service: String) -> [ServiceEnvironment] {
        switch service {
        case "gateway": [.store, .internalSecret, .apiKeys, .jwtSecret, .databaseURL, .databasePassword] + s3
        case "all": [.store, .internalSecret, .apiKeys, .jwtSecret] + s3
        default: [.store, .internalSecret] + s3 + queue
        }
    }
}
