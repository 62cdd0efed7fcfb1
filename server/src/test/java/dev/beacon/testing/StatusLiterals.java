package dev.beacon.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The status values the main code's SQL and the migrations spell out as literals: {@code status = 'queued'},
 * {@code status <> 'offline'}, {@code status IN ('assigned', 'running')}, {@code WHEN status = 'busy' THEN 'online'},
 * {@code status TEXT NOT NULL DEFAULT 'offline'}. Read from the source tree (tests run from the server module).
 */
public final class StatusLiterals {
    private static final Pattern COMPARED = Pattern.compile("\\bstatus\\s*(?:=|<>|!=)\\s*'([a-z_]+)'");
    private static final Pattern LISTED = Pattern.compile("\\bstatus\\s+(?:NOT\\s+)?IN\\s*\\(([^)]*)\\)");
    private static final Pattern THEN = Pattern.compile("\\bWHEN\\s+status\\s*=\\s*'[a-z_]+'\\s+THEN\\s+'([a-z_]+)'");
    private static final Pattern DEFAULT = Pattern.compile("\\bstatus\\s+TEXT[^,]*DEFAULT\\s+'([a-z_]+)'");
    private static final Pattern QUOTED = Pattern.compile("'([a-z_]+)'");

    private StatusLiterals() {
    }

    /** Every status literal in {@code src/main/java} and the migrations. */
    public static Set<String> all() throws IOException {
        Set<String> found = new TreeSet<>();
        for (Path root : List.of(Path.of("src/main/java"), Path.of("src/main/resources/db/migration"))) {
            if (!Files.isDirectory(root)) {
                throw new IllegalStateException("run from the server module: no " + root.toAbsolutePath());
            }
            try (Stream<Path> files = Files.walk(root)) {
                for (Path file : files.filter(f -> f.toString().endsWith(".java") || f.toString().endsWith(".sql")).toList()) {
                    collect(Files.readString(file), found);
                }
            }
        }
        return found;
    }

    private static void collect(String text, Set<String> found) {
        for (Pattern single : List.of(COMPARED, THEN, DEFAULT)) {
            Matcher m = single.matcher(text);
            while (m.find()) {
                found.add(m.group(1));
            }
        }
        Matcher listed = LISTED.matcher(text);
        while (listed.find()) {
            Matcher quoted = QUOTED.matcher(listed.group(1));
            while (quoted.find()) {
                found.add(quoted.group(1));
            }
        }
    }
}
