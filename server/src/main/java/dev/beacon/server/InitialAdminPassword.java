package dev.beacon.server;

import dev.beacon.store.DataDir;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The password generated for {@code admin} at first start. It is never printed or logged (a server's output ends up
 * in the journal or a log file): it goes to {@code <data-dir>/initial-admin-password}, readable by the server's user
 * only, and the file is deleted when {@code admin} first signs in. Thread-safe.
 */
public final class InitialAdminPassword {
    /** The file's name in the data dir. */
    public static final String FILE = "initial-admin-password";
    private static final Logger log = LoggerFactory.getLogger(InitialAdminPassword.class);

    private final Path file;

    public InitialAdminPassword(Path dataDir) {
        this.file = dataDir.resolve(FILE);
    }

    public Path file() {
        return file;
    }

    /** Writes the password (0600, whole or not at all) and returns the file. Creates the data dir (0700) when missing. */
    Path write(String password) {
        DataDir.prepare(file.getParent());
        Path tmp = file.resolveSibling(FILE + ".tmp");
        try {
            Files.deleteIfExists(tmp);
            if (FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
                Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            }
            Files.writeString(tmp, password + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the initial admin password to " + file.toAbsolutePath(), e);
        }
    }

    /** Called after each successful sign-in: the first one of {@code admin} deletes the file, which has done its job. */
    public void signedIn(String username) {
        if (!Bootstrap.ADMIN_USER.equals(username)) {
            return;
        }
        try {
            if (Files.deleteIfExists(file)) {
                log.info("admin signed in: deleted {}", file.toAbsolutePath());
            }
        } catch (IOException e) {
            log.warn("admin signed in, but {} could not be deleted ({}); delete it by hand", file.toAbsolutePath(), e.toString());
        }
    }
}
