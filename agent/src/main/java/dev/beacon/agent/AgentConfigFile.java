package dev.beacon.agent;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Finds, reads and atomically rewrites agent.toml. Stateless apart from its path, so it is thread-safe; two
 * concurrent writers each replace the whole file, and the last rename wins.
 */
public final class AgentConfigFile {
    private static final Logger LOG = LoggerFactory.getLogger(AgentConfigFile.class);
    private static final String RELATIVE = "roboflare/agent.toml";
    private static final List<String> HEADER = List.of(
            "Beacon agent configuration, written by `beacon agent`.",
            "It holds this robot's token: keep it private (mode 0600). Delete it to re-enroll.");
    /**
     * Keys the agent owns; on write they are replaced, every other key in the file is kept as it was. Holds
     * {@code websocket_url}, which older agents saved and is no longer written, so a rewrite drops the stale value.
     */
    private static final Set<String> OWN_KEYS = Set.of("server", "servers", "robot_id", "robot_token", "name", "organization",
            "site", "fleet", "websocket_url", "ca_cert", "labels", "handlers");
    private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

    private final Path path;

    /**
     * The variable that names the file when no {@code --config} is given. The packaged {@code /usr/bin/beacon-agent}
     * sets it to {@code /etc/roboflare/agent.toml} for root and the {@code beacon-agent} user, and so does the
     * systemd unit, so that {@code sudo beacon-agent enroll} writes the file the service reads.
     */
    public static final String ENV_VARIABLE = "BEACON_AGENT_CONFIG";

    /**
     * Resolves the file: {@code explicit} ({@code --config}) if given, else {@code $BEACON_AGENT_CONFIG} when it
     * holds an absolute path, else {@code $XDG_CONFIG_HOME/roboflare/agent.toml} when that variable holds an
     * absolute path, else {@code $HOME/.config/roboflare/agent.toml}, with {@code fallbackHome} standing in when
     * {@code $HOME} is unset or not absolute.
     */
    public AgentConfigFile(Path explicit, Map<String, String> env, Path fallbackHome) {
        this.path = resolve(explicit, env, fallbackHome).toAbsolutePath().normalize();
    }

    /** The file at exactly {@code path}. */
    public static AgentConfigFile at(Path path) {
        return new AgentConfigFile(path, Map.of(), Path.of(""));
    }

    /**
     * The file for this process's user, honouring {@code --config} when given, then {@code $BEACON_AGENT_CONFIG},
     * then {@code $XDG_CONFIG_HOME}, then {@code $HOME}. Java's {@code user.home} comes from the password database
     * and ignores {@code $HOME}, so it is only the last resort: {@code HOME=/srv/bot beacon agent run} must use
     * /srv/bot/.config.
     */
    public static AgentConfigFile forCurrentUser(Path explicit) {
        return new AgentConfigFile(explicit, System.getenv(), Path.of(System.getProperty("user.home")));
    }

    private static Path resolve(Path explicit, Map<String, String> env, Path fallbackHome) {
        if (explicit != null) {
            return explicit;
        }
        Path named = absolute(env.get(ENV_VARIABLE));
        if (named != null) {
            return named;
        }
        // The XDG spec says relative values are invalid and must be ignored; a relative $HOME is as useless.
        Path xdg = absolute(env.get("XDG_CONFIG_HOME"));
        if (xdg != null) {
            return xdg.resolve(RELATIVE);
        }
        Path home = absolute(env.get("HOME"));
        return (home != null ? home : fallbackHome).resolve(".config").resolve(RELATIVE);
    }

    private static Path absolute(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            Path path = Path.of(value);
            return path.isAbsolute() ? path : null;
        } catch (InvalidPathException e) {
            return null;
        }
    }

    /** The absolute path of the file. */
    public Path path() {
        return path;
    }

    /** The saved config, or empty when the file does not exist. */
    public Optional<AgentConfig> read() {
        return readTree().map(tree -> {
            try {
                return AgentJson.TOML.treeToValue(withServerList(tree), AgentConfig.class);
            } catch (JacksonException | IllegalArgumentException e) {
                throw new AgentException("Cannot use " + path + ": " + firstLine(e));
            }
        });
    }

    /**
     * Replaces the file with {@code config}, keeping keys the agent does not own. The new text goes to a temp
     * file created with mode 0600 in the same directory, is fsynced, then renamed over the old file, so a crash
     * leaves either the old file or the new one, never half of one, and the token is never readable by others.
     * When the directory belongs to another user (root enrolling into {@code /etc/roboflare}, which belongs to
     * {@code beacon-agent}), the file is given to the directory's owner and group, so that the service, which runs
     * as that user, can read it and rewrite it when it rotates its token.
     */
    public void write(AgentConfig config) {
        ObjectNode tree = readTreeQuietly();
        ObjectNode fresh = withServerSpelledAsWritten(AgentJson.TOML.valueToTree(config));
        tree.remove(OWN_KEYS);
        ObjectNode merged = AgentJson.TOML.createObjectNode();
        merged.setAll(fresh); // the agent's keys first, in a stable order
        merged.setAll(tree);
        byte[] bytes = TomlWriter.write(merged, HEADER).getBytes(StandardCharsets.UTF_8);
        try {
            Path dir = path.getParent();
            createPrivateDirectories(dir);
            Path temp = POSIX
                    ? Files.createTempFile(dir, ".agent.toml.", ".tmp",
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))
                    : Files.createTempFile(dir, ".agent.toml.", ".tmp");
            try {
                try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
                    ByteBuffer buffer = ByteBuffer.wrap(bytes);
                    while (buffer.hasRemaining()) {
                        channel.write(buffer);
                    }
                    channel.force(true);
                }
                giveToOwnerOf(dir, temp);
                moveAtomically(temp);
            } finally {
                Files.deleteIfExists(temp);
            }
            syncDirectory(dir);
        } catch (IOException e) {
            throw new AgentException("Cannot save credentials to " + path + ": " + describe(e));
        }
    }

    /**
     * A copy of the file's tree with {@code server} and {@code servers} merged into one {@code servers} array:
     * {@code server} first, then the entries of {@code servers} (the record drops repeats). So a file from before
     * the list existed reads as a list of one, and an operator who adds {@code servers = [...]} beside the old
     * {@code server} line gets both, the old one first. Either key may hold a string or an array of strings.
     */
    private static ObjectNode withServerList(ObjectNode tree) {
        ObjectNode copy = tree.deepCopy();
        ArrayNode servers = AgentJson.TOML.createArrayNode();
        for (String key : List.of("server", "servers")) {
            JsonNode value = copy.remove(key);
            if (value != null && value.isTextual()) {
                servers.add(value.textValue());
            } else if (value != null && value.isArray()) {
                for (JsonNode item : value) {
                    if (!item.isTextual()) {
                        throw new IllegalArgumentException("`" + key + "` must hold server URLs in quotes, e.g. "
                                + key + " = [\"https://beacon-1.example.com\", \"https://beacon-2.example.com\"]");
                    }
                    servers.add(item.textValue());
                }
            } else if (value != null && !value.isNull()) {
                throw new IllegalArgumentException("`" + key + "` must be a server URL in quotes, or a list of them");
            }
        }
        copy.set("servers", servers);
        return copy;
    }

    /**
     * The record's tree as the file spells it: one URL as {@code server = "…"}, the form every agent version reads,
     * and several as {@code servers = ["…", "…"]}; none at all (before enrollment) as neither key.
     */
    private static ObjectNode withServerSpelledAsWritten(ObjectNode fresh) {
        JsonNode servers = fresh.path("servers");
        ObjectNode spelled = AgentJson.TOML.createObjectNode();
        fresh.properties().forEach(entry -> {
            if (!entry.getKey().equals("servers")) {
                spelled.set(entry.getKey(), entry.getValue());
            } else if (servers.size() == 1) {
                spelled.set("server", servers.get(0));
            } else if (servers.size() > 1) {
                spelled.set("servers", servers);
            }
        });
        return spelled;
    }

    private void moveAtomically(Path temp) throws IOException {
        try {
            Files.move(temp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            // Cannot happen for a temp file in the same directory on a sane file system; refuse rather than
            // risk a torn file holding a secret.
            throw new IOException("the file system cannot rename atomically in " + path.getParent(), e);
        }
    }

    /**
     * Hands {@code file} to the owner and group of {@code dir} when they differ from the file's. Only root may do
     * that; anyone else who can write into a directory they do not own keeps the file as their own.
     */
    private static void giveToOwnerOf(Path dir, Path file) throws IOException {
        if (!POSIX) {
            return;
        }
        PosixFileAttributes dirAttributes = Files.readAttributes(dir, PosixFileAttributes.class);
        PosixFileAttributes fileAttributes = Files.readAttributes(file, PosixFileAttributes.class);
        if (dirAttributes.owner().equals(fileAttributes.owner()) && dirAttributes.group().equals(fileAttributes.group())) {
            return;
        }
        PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
        try {
            view.setGroup(dirAttributes.group());
            view.setOwner(dirAttributes.owner());
        } catch (FileSystemException e) {
            LOG.debug("the new config in {} stays owned by {}: cannot give it to {} ({})", dir,
                    fileAttributes.owner().getName(), dirAttributes.owner().getName(), e.toString());
        }
    }

    /** Creates missing directories with mode 0700; existing ones (such as ~/.config) are left as they are. */
    private static void createPrivateDirectories(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        if (dir.getParent() != null) {
            createPrivateDirectories(dir.getParent());
        }
        if (POSIX) {
            Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        } else {
            Files.createDirectory(dir);
        }
    }

    /** Makes the rename itself durable; without it a power cut can undo the rename on some file systems. */
    private static void syncDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            LOG.debug("could not fsync directory {}: {}", dir, e.toString()); // not supported everywhere (Windows)
        }
    }

    private Optional<ObjectNode> readTree() {
        String text;
        try {
            text = Files.readString(path, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new AgentException("Cannot read " + path + ": " + describe(e));
        }
        warnIfReadableByOthers();
        try {
            JsonNode tree = AgentJson.TOML.readTree(text);
            return Optional.of(tree instanceof ObjectNode object ? object : AgentJson.TOML.createObjectNode());
        } catch (JacksonException e) {
            throw new AgentException("Cannot parse " + path + " as TOML: " + firstLine(e));
        }
    }

    private ObjectNode readTreeQuietly() {
        try {
            return readTree().orElseGet(AgentJson.TOML::createObjectNode);
        } catch (AgentException e) {
            LOG.warn("replacing unreadable {}: {}", path, e.getMessage());
            return AgentJson.TOML.createObjectNode();
        }
    }

    private void warnIfReadableByOthers() {
        if (!POSIX) {
            return;
        }
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(path);
            if (permissions.contains(PosixFilePermission.GROUP_READ) || permissions.contains(PosixFilePermission.OTHERS_READ)) {
                LOG.warn("{} is readable by other users and holds the robot token; run: chmod 600 {}", path, path);
            }
        } catch (IOException e) {
            LOG.debug("cannot check permissions of {}: {}", path, e.toString());
        }
    }

    private static String describe(IOException e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getClass().getSimpleName() + " " + e.getMessage();
    }

    private static String firstLine(Exception e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        int newline = message.indexOf('\n');
        return newline < 0 ? message : message.substring(0, newline);
    }

    @Override
    public String toString() {
        return path.toString();
    }
}
