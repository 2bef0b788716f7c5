#if canImport(Glibc)
import Glibc
#endif

/// Creates the ledger's directory and file before SQLite opens it, so that both are private from the start: a
/// directory the daemon creates is 0700 and a new file 0600 whatever the umask (SQLite then gives its `-wal` and
/// `-shm` files the database file's mode). Existing directories and files keep the mode the operator gave them.
enum LedgerFiles {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func prepare(path: String) throws(Failure) {
        let directory = Self.parent(of: path)
        try Self.makeDirectories(directory)
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd >= 0 {
            fchmod(fd, 0o600)
            close(fd)
        } else if errno != EEXIST {
            throw Failure(description: "cannot create \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// `/a/b/c` → `/a/b`; `/a` → `/`.
    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let parent = String(path[..<slash])
        return parent.isEmpty ? "/" : parent
    }

    /// `mkdir -p` with mode 0700 for each directory it creates.
    private static func makeDirectories(_ directory: String) throws(Failure) {
        var status = stat()
        if stat(directory, &status) == 0 {
            guard status.st_mode & S_IFMT == S_IFDIR else {
                throw Failure(description: "\(directory) exists and is not a directory")
            }
            return
        }
        guard errno == ENOENT else {
            throw Failure(description: "cannot use \(directory): \(String(cString: strerror(errno)))")
        }
        try Self.makeDirectories(Self.parent(of: directory))
        if mkdir(directory, 0o700) == 0 {
            chmod(directory, 0o700)  // the umask may have taken bits away; it never adds any
        } else if errno != EEXIST {
            throw Failure(description: "cannot create \(directory): \(String(cString: strerror(errno)))")
        }
    }
}
