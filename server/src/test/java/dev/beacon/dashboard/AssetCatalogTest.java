package dev.beacon.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.URI;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The asset catalog on a folder of its own: names from content, any file found without a list, lookups by URL path. */
class AssetCatalogTest {
    @TempDir
    Path folder;

    @Test
    void the_hashed_name_changes_with_the_content_and_only_with_it() throws Exception {
        Files.writeString(folder.resolve("site.css"), "body { color: red; }");
        String first = AssetCatalog.fromDirectory(folder).get("site.css").hashedName();
        assertThat(AssetCatalog.fromDirectory(folder).get("site.css").hashedName()).isEqualTo(first);

        Files.writeString(folder.resolve("site.css"), "body { color: blue; }");
        AssetCatalog changed = AssetCatalog.fromDirectory(folder);
        String second = changed.get("site.css").hashedName();
        assertThat(first).matches("site\\.[0-9a-f]{10}\\.css");
        assertThat(second).matches("site\\.[0-9a-f]{10}\\.css").isNotEqualTo(first);

        assertThat(changed.find(second).orElseThrow().kind()).isEqualTo(AssetCatalog.Kind.CURRENT);
        assertThat(changed.find(first).orElseThrow().kind()).isEqualTo(AssetCatalog.Kind.OTHER_VERSION);
        assertThat(changed.find("site.css").orElseThrow().kind()).isEqualTo(AssetCatalog.Kind.PLAIN);
        assertThat(changed.find(first).orElseThrow().asset().bytes()).asString(StandardCharsets.UTF_8).contains("blue");
    }

    @Test
    void every_file_in_the_folder_is_an_asset_with_no_list_to_keep() throws Exception {
        Files.writeString(folder.resolve("machines.js"), "console.log('x');".repeat(40));
        Files.createDirectories(folder.resolve("fonts"));
        Files.write(folder.resolve("fonts/inter.woff2"), new byte[] {1, 2, 3});
        Files.writeString(folder.resolve("LICENSE"), "text");
        AssetCatalog catalog = AssetCatalog.fromDirectory(folder);

        assertThat(catalog.names()).containsExactly("LICENSE", "fonts/inter.woff2", "machines.js");
        AssetCatalog.Asset script = catalog.get("machines.js");
        assertThat(script.contentType()).isEqualTo("text/javascript; charset=utf-8");
        assertThat(script.compressible()).isTrue();
        AssetCatalog.Asset font = catalog.get("fonts/inter.woff2");
        assertThat(font.contentType()).isEqualTo("font/woff2");
        assertThat(font.compressible()).isFalse();
        assertThat(catalog.find(font.hashedName()).orElseThrow().asset()).isSameAs(font);
        assertThat(catalog.get("LICENSE").hashedName()).matches("LICENSE\\.[0-9a-f]{10}");
        assertThat(catalog.find(catalog.get("LICENSE").hashedName())).isPresent();
    }

    @Test
    void a_folder_of_a_jar_reads_as_the_same_folder_on_disk() throws Exception {
        Path disk = Files.createDirectories(folder.resolve("disk/dashboard/assets"));
        Files.writeString(disk.resolve("machines.js"), "console.log('x');".repeat(40));
        Files.createDirectories(disk.resolve("fonts"));
        Files.write(disk.resolve("fonts/inter.woff2"), new byte[] {1, 2, 3});
        Path jar = folder.resolve("beacon.jar");
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
            for (String name : List.of("dashboard/", "dashboard/assets/", "dashboard/assets/fonts/")) {
                out.putNextEntry(new JarEntry(name)); // directory entries, as the build writes them
            }
            for (String name : List.of("dashboard/assets/machines.js", "dashboard/assets/fonts/inter.woff2")) {
                out.putNextEntry(new JarEntry(name));
                out.write(Files.readAllBytes(folder.resolve("disk").resolve(name)));
            }
            out.putNextEntry(new JarEntry("dashboard/assets-old/stale.js")); // a sibling folder whose name starts the same
            out.write("stale".getBytes(StandardCharsets.UTF_8));
            out.putNextEntry(new JarEntry("dashboard/page.jte"));
            out.write("not an asset".getBytes(StandardCharsets.UTF_8));
        }

        AssetCatalog fromJar = AssetCatalog.fromUrl(URI.create("jar:" + jar.toUri() + "!/dashboard/assets").toURL());
        AssetCatalog fromDisk = AssetCatalog.fromUrl(disk.toUri().toURL());

        assertThat(fromJar.names()).containsExactly("fonts/inter.woff2", "machines.js").isEqualTo(fromDisk.names());
        for (String name : fromJar.names()) {
            assertThat(fromJar.get(name).bytes()).isEqualTo(fromDisk.get(name).bytes());
            assertThat(fromJar.get(name).hashedName()).isEqualTo(fromDisk.get(name).hashedName());
        }
    }

    @Test
    void a_name_that_is_not_in_the_folder_is_refused() throws Exception {
        Files.writeString(folder.resolve("beacon.css"), "a {}");
        AssetCatalog catalog = AssetCatalog.fromDirectory(folder);
        assertThat(catalog.find("other.css")).isEmpty();
        assertThat(catalog.find("other.0123456789.css")).isEmpty();
        assertThatThrownBy(() -> catalog.get("other.css")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("beacon.css");
    }

    @Test
    void accept_encoding_allows_gzip_when_listed_or_covered_by_a_star_without_q_zero() {
        assertThat(AssetRoutes.acceptsGzip("gzip, deflate, br")).isTrue();
        assertThat(AssetRoutes.acceptsGzip("br;q=1.0, gzip;q=0.8")).isTrue();
        assertThat(AssetRoutes.acceptsGzip("*")).isTrue();
        assertThat(AssetRoutes.acceptsGzip("GZIP")).isTrue();
        assertThat(AssetRoutes.acceptsGzip(null)).isFalse();
        assertThat(AssetRoutes.acceptsGzip("identity")).isFalse();
        assertThat(AssetRoutes.acceptsGzip("gzip;q=0")).isFalse();
        assertThat(AssetRoutes.acceptsGzip("gzip;q=0, *")).isFalse();
        assertThat(AssetRoutes.acceptsGzip("*;q=0")).isFalse();
        assertThat(AssetRoutes.acceptsGzip("gzip;q=nonsense")).isFalse();
    }
}
