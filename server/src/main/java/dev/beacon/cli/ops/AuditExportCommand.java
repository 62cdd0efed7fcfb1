package dev.beacon.cli.ops;

import com.fasterxml.jackson.databind.JsonNode;
import dev.beacon.agent.cli.VersionProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code beacon audit export}: every audit event of the organization in a time range, oldest first, as JSON Lines over
 * {@code GET /api/audit?format=jsonl} (admin), to stdout or to a file that appears only once it is whole. One line on
 * stderr says how many events, from when to when. Not thread-safe; one per invocation.
 */
@Command(name = "export", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Writes the audit log, oldest first, as JSON Lines: one event per line (admin).")
final class AuditExportCommand extends OpsCommand {
    @Option(names = "--since", paramLabel = "TIME", description = "Only events at or after this RFC 3339 time, e.g. 2026-11-01T00:00:00Z.")
    String since;

    @Option(names = "--until", paramLabel = "TIME", description = "Only events before this RFC 3339 time (default: when the export starts).")
    String until;

    @Option(names = "--action", description = "Only this action, e.g. robot.removed.")
    String action;

    // Not -o: every operator command takes -o FORMAT already (ServerOptions); an export is always JSON Lines.
    @Option(names = {"-f", "--file"}, paramLabel = "FILE",
            description = "Write to FILE instead of stdout: to a temporary file beside it (mode 0600), renamed once complete.")
    Path file;

    @Override
    int execute() {
        Map<String, String> query = new LinkedHashMap<>();
        query.put("format", "jsonl");
        query.put("since", since);
        query.put("until", until);
        query.put("action", action);
        String path = ApiClient.query("/api/audit", query);
        Tally tally = file == null ? export(path, out()) : exportToFile(path);
        err().println(tally.summary(file == null ? "" : " to " + file));
        return 0;
    }

    private Tally exportToFile(String path) {
        Path target = file.toAbsolutePath();
        Path temp;
        try {
            temp = Files.createTempFile(target.getParent(), "." + target.getFileName() + ".", ".part");
        } catch (IOException e) {
            throw new OpsException("cannot write beside " + file + ": " + e.getMessage(), "file_unwritable", OpsException.REFUSED);
        }
        boolean complete = false;
        try {
            Tally tally;
            try (Writer writer = Files.newBufferedWriter(temp, StandardCharsets.UTF_8)) {
                tally = export(path, writer);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            complete = true;
            return tally;
        } catch (IOException | UncheckedIOException e) {
            throw new OpsException("cannot write " + file + ": " + e.getMessage(), "file_unwritable", OpsException.REFUSED);
        } finally {
            if (!complete) {
                try {
                    Files.deleteIfExists(temp);
                } catch (IOException ignored) {
                    // the export failed already; a leftover .part file is named for what it is
                }
            }
        }
    }

    private Tally export(String path, Writer out) {
        Tally tally = new Tally();
        api().getLines(path, "application/x-ndjson", line -> {
            if (line.isEmpty()) {
                return;
            }
            try {
                out.write(line);
                out.write('\n');
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            tally.add(line);
        });
        return tally;
    }

    /** How many lines were written, and the first and last line, whose {@code created_at} make the summary. */
    private static final class Tally {
        private long count;
        private String first;
        private String last;

        void add(String line) {
            if (count++ == 0) {
                first = line;
            }
            last = line;
        }

        /** {@code exported 3 audit events to FILE (2026-11-01T00:00:00Z to 2026-11-02T09:12:00.5Z)}: the first and last event's time. */
        String summary(String destination) {
            String exported = "exported " + count + (count == 1 ? " audit event" : " audit events") + destination;
            return count == 0 ? exported : exported + " (" + createdAt(first) + " to " + createdAt(last) + ")";
        }

        private static String createdAt(String line) {
            try {
                JsonNode event = ApiClient.JSON.readTree(line);
                return event.path("created_at").asText("?");
            } catch (IOException e) {
                return "?";
            }
        }
    }
}
