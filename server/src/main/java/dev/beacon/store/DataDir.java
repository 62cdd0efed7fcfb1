package dev.beacon.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The server's data directory: its permissions (the directory 0700, Beacon's files in it 0600, whatever the
 * umask) and the lock that keeps a second {@code beacon server} off the same SQLite database. Called by the
 * thread that starts a server; the lock is released by the thread that closes it.
 */
public final class DataDir {
    /** The lock file beside {@code beacon.db}. */
    public static final String LOCK_FILE = "beacon.lock";
    static final Set<PosixFilePermission> DIR_MODE = PosixFilePermissions.fromString("rwx------");
    static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");
    /**
     * The files Beacon keeps in the data dir. Only these are tightened: a data dir may be shared with files that
     * are not Beacon's. SQLite gives the -wal and -shm files the mode of the database file.
     */
    private static final List<String> FILES = List.of("beacon.db", "beacon.db-wal", "beacon.db-shm", "beacon.db-journal",
            "secret.key", LOCK_FILE, "initial-admin-password");
    /**
     * Data dirs locked by this JVM. POSIX record locks belong to the process, so a second lock attempt from the
     * same JVM cannot see the first through the OS; and closing any descriptor of the file would drop the lock.
     */
    private static final Set<Path> LOCKED_HERE = ConcurrentHashMap.newKeySet();

    private DataDir() {
    }

    /**
     * Creates {@code dir} (0700) if missing, or tightens an existing one to 0700, and its Beacon files to 0600.
     * The server calls it at every start, so data dirs of earlier versions (0755, files 0644) get tightened too.
     */
    public static void prepare(Path dir) {
        if (!posix()) {
            createDirectories(dir);
            return;
        }
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(DIR_MODE));
            }
            Files.setPosixFilePermissions(dir, DIR_MODE);
            tightenFiles(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create or secure the data directory " + dir.toAbsolutePath(), e);
        }
    }

    /** Sets Beacon's files in {@code dir} that exist to 0600 (after SQLite made its -wal and -shm files, say). */
    public static void tightenFiles(Path dir) {
        if (!posix()) {
            return;
        }
        for (String name : FILES) {
            Path file = dir.resolve(name);
            try {
                if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
                        && !Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS).equals(FILE_MODE)) {
                    Files.setPosixFilePermissions(file, FILE_MODE);
                }
            } catch (java.nio.file.NoSuchFileException gone) {
                // SQLite removed its -wal/-shm between the check and the change: nothing left to tighten
            } catch (IOException e) {
                throw new UncheckedIOException("cannot make " + file.toAbsolutePath() + " readable by its owner only", e);
            }
        }
    }

    /**
     * Creates the SQLite database file empty with mode 0600 when it does not exist yet, so SQLite never creates
     * it (and its -wal and -shm files, which copy its mode) under a lax umask. SQLite treats an empty file as an
     * empty database.
     */
    public static void createDatabaseFile(Path dir) {
        Path file = dir.resolve("beacon.db");
        if (!posix() || Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(FILE_MODE));
            Files.setPosixFilePermissions(file, FILE_MODE); // the umask may have taken bits the owner needs
        } catch (java.nio.file.FileAlreadyExistsException raced) {
            // created a moment ago; prepare() tightens it
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + file.toAbsolutePath(), e);
        }
    }

    /** Another {@code beacon server} holds the data dir; the message is the one line the operator sees. */
    public static final class Locked extends RuntimeException {
        Locked(String message) {
            super(message, null, false, false);
        }
    }

    /** The lock on one data dir, held from {@link #lock} until {@link #close}. */
    public static final class Lock implements AutoCloseable {
        private final Path key;
        private final FileChannel channel;
        private final FileLock lock;

        private Lock(Path key, FileChannel channel, FileLock lock) {
            this.key = key;
            this.channel = channel;
            this.lock = lock;
        }

        @Override
        public void close() {
            try {
                lock.release();
                channel.close();
            } catch (IOException ignored) {
                // the process is stopping this server; the OS drops the lock with the descriptor anyway
            } finally {
                LOCKED_HERE.remove(key);
            }
        }
    }

    /**
     * Takes the OS lock on {@code dir/beacon.lock} for a server's whole life, and writes this process's id into
     * the file so a second server can name it. Throws {@link Locked} when another process (or another server in
     * this JVM) holds it. Call {@link #prepare} first.
     */
    public static Lock lock(Path dir) {
        Path key = realPath(dir);
        Path file = key.resolve(LOCK_FILE);
        if (!LOCKED_HERE.add(key)) {
            throw locked(key, ProcessHandle.current().pid());
        }
        FileChannel channel = null;
        try {
            channel = posix()
                    ? FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE),
                            PosixFilePermissions.asFileAttribute(FILE_MODE))
                    : FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException heldInThisJvm) {
                lock = null;
            }
            if (lock == null) {
                Long other = readPid(channel);
                channel.close();
                LOCKED_HERE.remove(key);
                throw locked(key, other);
            }
            channel.truncate(0);
            channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            channel.force(false);
            return new Lock(key, channel, lock);
        } catch (IOException e) {
            LOCKED_HERE.remove(key);
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException ignored) {
                    // already failing; the first error says more
                }
            }
            throw new UncheckedIOException("cannot lock " + file, e);
        }
    }

    /** The same key for every name of the directory (symbolic links), so the in-JVM check cannot be sidestepped. */
    private static Path realPath(Path dir) {
        try {
            return dir.toRealPath();
        } catch (IOException e) {
            return dir.toAbsolutePath().normalize();
        }
    }

    private static Locked locked(Path dir, Long pid) {
        return new Locked("another beacon server" + (pid != null ? " (pid " + pid + ")" : "") + " is already using the data dir "
                + dir + "; stop it first, or give this one its own --data-dir (or BEACON_DATA_DIR).");
    }

    /** The process id the holder wrote into the lock file, if it did (reading needs no lock). */
    private static Long readPid(FileChannel channel) {
        try {
            ByteBuffer buffer = ByteBuffer.allocate(32);
            channel.read(buffer, 0);
            String text = new String(buffer.array(), 0, buffer.position(), StandardCharsets.US_ASCII).strip();
            return text.isEmpty() ? null : Long.parseLong(text);
        } catch (IOException | NumberFormatException e) {
            return null;
        }
    }

    private static void createDirectories(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create data directory " + dir.toAbsolutePath(), e);
        }
    }

    private static boolean posix() {
        return FileSystems.getDefault().supportedFileAttributeViews().contains("posix");
    }
}
