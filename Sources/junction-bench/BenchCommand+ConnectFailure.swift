import NIOCore

#if canImport(Glibc)
import Glibc
#endif

extension BenchCommand {
    /// Why junctiond's socket could not be reached, in words, with what to do about it.
    static func connectFailure(_ error: any Error, socket: String) -> String {
        var message = "junction-bench: cannot connect to \(socket): "
        switch error {
        case let error as IOError:
            message += "\(String(cString: strerror(error.errnoCode))) (errno \(error.errnoCode))"
            switch error.errnoCode {
            case ENOENT:
                message += "\nhint: no socket at that path; is junctiond running? (junctiond --socket PATH, "
                    + "or junctionctl status to see where it listens)"
            case ECONNREFUSED:
                message += "\nhint: the socket file exists but no junctiond listens on it (a stale file?); start it"
            case EACCES:
                message += "\nhint: your user may not open the socket; join its group (server.socket_group)"
            default:
                break
            }
        case SocketAddressError.unixDomainSocketPathTooLong:
            message += "the path is longer than a Unix socket allows (107 bytes)"
        default:
            message += "\(error)"
        }
        return message
    }
}
