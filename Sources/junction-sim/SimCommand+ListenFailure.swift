import NIOCore

#if canImport(Glibc)
import Glibc
#endif

extension SimCommand {
    /// Why the simulator could not listen on `host:port`, in words, with what to do about it.
    static func listenFailure(_ error: any Error, host: String, port: Int) -> String {
        var message = "junction-sim: cannot listen on \(host):\(port): "
        switch error {
        case let error as IOError:
            message += "\(String(cString: strerror(error.errnoCode))) (errno \(error.errnoCode))"
            switch error.errnoCode {
            case EADDRINUSE:
                message += "\nhint: another process listens on port \(port); stop it, choose another --port, "
                    + "or give --port 0 for a free one"
            case EACCES:
                message += "\nhint: ports below 1024 need privileges; choose --port 1024 or above, or --port 0"
            case EADDRNOTAVAIL:
                message += "\nhint: \(host) is not an address of this machine; the default is 127.0.0.1"
            default:
                break
            }
        case let error as SocketAddressError.UnknownHost:
            message += "unknown host \"\(error.host)\" (\(error.errorDescription))"
            message += "\nhint: --host takes an address of this machine, such as 127.0.0.1 (the default) or ::1"
        default:
            message += "\(error)"
        }
        return message
    }
}
