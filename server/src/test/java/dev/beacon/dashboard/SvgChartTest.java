package dev.beacon.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringReader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.w3c.dom.Document;
import org.xml.sax.InputSource;

/** The SVG {@link SvgChart} draws: always well-formed XML, an accessible image, bars and lines to scale. */
class SvgChartTest {
    private static final Pattern RECT = Pattern.compile("<rect x=\"([^\"]+)\" y=\"([^\"]+)\" width=\"([^\"]+)\" height=\"([^\"]+)\"/>");

    @Test
    void a_chart_is_an_accessible_image_with_axes_and_its_labels() throws Exception {
        String svg = render("q", "Jobs queued, last hour", "At most 2 waiting.", points(1.0, 2.0));

        Document doc = parse(svg);
        assertThat(doc.getDocumentElement().getAttribute("role")).isEqualTo("img");
        assertThat(doc.getDocumentElement().getAttribute("aria-labelledby")).isEqualTo("q-title q-desc");
        assertThat(doc.getDocumentElement().getAttribute("viewBox")).isEqualTo("0 0 320 120");
        assertThat(svg).contains("<title id=\"q-title\">Jobs queued, last hour</title>", "<desc id=\"q-desc\">At most 2 waiting.</desc>");
        // The y axis and the baseline, 0 at the bottom and the round maximum at the top; the x axis' two ends.
        assertThat(svg).contains("<line x1=\"34\" y1=\"8\" x2=\"34\" y2=\"102\"/>", "<line x1=\"34\" y1=\"102\" x2=\"316\" y2=\"102\"/>",
                ">0</text>", ">2</text>", ">60 min ago</text>", ">now</text>", "class=\"chart-grid\"");
    }

    @Test
    void bars_are_drawn_to_scale_and_zeros_and_gaps_draw_nothing() throws Exception {
        String svg = render("b", "t", "d", points(5.0, 0.0, null, 10.0));
        parse(svg);

        List<double[]> rects = rects(svg);
        assertThat(rects).hasSize(2);
        // Top of the scale is 10: the 10 fills the plot (94 units), the 5 half of it; four slots of 70.5 units.
        assertThat(rects.get(1)[3]).isEqualTo(94.0);
        assertThat(rects.get(1)[1]).isEqualTo(8.0);
        assertThat(rects.get(0)[3]).isEqualTo(47.0);
        assertThat(rects.get(0)[1]).isEqualTo(55.0);
        assertThat(rects.get(0)[2]).isEqualTo(56.4);
        assertThat(rects.get(1)[0]).isGreaterThan(rects.get(0)[0] + 3 * 70);
    }

    @Test
    void the_line_breaks_where_there_is_no_data_and_a_lone_point_is_a_dot() throws Exception {
        List<SvgChart.Point> points = List.of(new SvgChart.Point(1.0, 2.0), new SvgChart.Point(1.0, 4.0), new SvgChart.Point(null, null),
                new SvgChart.Point(1.0, 3.0));
        String svg = SvgChart.render(new SvgChart.Spec("l", "t", "d", points, SvgChartTest::plain, "a", "b"));
        parse(svg);

        assertThat(count(svg, "<polyline ")).isEqualTo(1);
        assertThat(count(svg, "<circle ")).isEqualTo(1);
        assertThat(svg).contains("class=\"chart-line\"");
        // The scale covers the line too: its 4 is the top.
        assertThat(svg).contains(">5</text>");
    }

    @Test
    void no_data_draws_the_axes_alone() throws Exception {
        for (List<SvgChart.Point> points : List.of(List.<SvgChart.Point>of(), points(null, null), points(0.0, 0.0))) {
            String svg = SvgChart.render(new SvgChart.Spec("e", "Empty", "Nothing yet.", points, SvgChartTest::plain, "24 h ago", "now"));
            parse(svg);
            assertThat(svg).doesNotContain("<rect", "<polyline", "<circle", "chart-grid").contains(">0</text>", ">24 h ago</text>");
        }
    }

    @Test
    void one_point_fills_the_plot_width() throws Exception {
        String svg = render("o", "t", "d", points(3.0));
        parse(svg);

        List<double[]> rects = rects(svg);
        assertThat(rects).hasSize(1);
        assertThat(rects.get(0)[2]).isEqualTo(225.6); // 80 % of the 282 units between the axes
        assertThat(rects.get(0)[3]).isEqualTo(94.0 * 3 / 5, org.assertj.core.data.Offset.offset(0.05));
    }

    @Test
    void huge_negative_and_non_finite_values_stay_inside_the_plot() throws Exception {
        String svg = render("h", "t", "d", points(1e15, 1.0, -4.0, Double.NaN, Double.POSITIVE_INFINITY, Double.MAX_VALUE));
        parse(svg);

        assertThat(svg).doesNotContain("NaN", "Infinity", "E+", "e+");
        for (double[] rect : rects(svg)) {
            assertThat(rect[1]).isBetween(8.0, 102.0);
            assertThat(rect[3]).isBetween(1.0, 94.0); // the 1 beside 1e15 still shows, one unit tall
        }
        assertThat(rects(svg)).hasSize(3);
    }

    @Test
    void every_text_is_escaped() throws Exception {
        String svg = SvgChart.render(new SvgChart.Spec("x\"y", "<script>alert(1)</script>", "a & b \"c\"", points(1.0),
                value -> "<b>", "it's", "\u0007now"));
        parse(svg);

        assertThat(svg).doesNotContain("<script>", "<b>").contains("&lt;script&gt;", "a &amp; b &quot;c&quot;", "it&#39;s", "x&quot;y-title");
    }

    @ParameterizedTest
    @CsvSource({"0, 1", "-3, 1", "0.3, 0.5", "1, 1", "1.2, 2", "3, 5", "7, 10", "10, 10", "11, 20", "480, 500", "501, 1000", "1e15, 1e15"})
    void the_scale_tops_out_at_one_two_or_five_times_a_power_of_ten(double max, double top) {
        assertThat(SvgChart.niceMax(max)).isEqualTo(top, org.assertj.core.data.Offset.offset(top * 1e-9));
    }

    @Test
    void the_scale_of_the_largest_double_is_finite() {
        assertThat(SvgChart.niceMax(Double.MAX_VALUE)).isFinite().isGreaterThanOrEqualTo(Double.MAX_VALUE);
    }

    private static String render(String id, String title, String desc, List<SvgChart.Point> points) {
        return SvgChart.render(new SvgChart.Spec(id, title, desc, points, SvgChartTest::plain, "60 min ago", "now"));
    }

    private static String plain(double value) {
        return SvgChart.number(value);
    }

    private static List<SvgChart.Point> points(Double... bars) {
        return Arrays.stream(bars).map(bar -> new SvgChart.Point(bar, null)).toList();
    }

    private static List<double[]> rects(String svg) {
        List<double[]> rects = new ArrayList<>();
        Matcher matcher = RECT.matcher(svg);
        while (matcher.find()) {
            rects.add(new double[] {Double.parseDouble(matcher.group(1)), Double.parseDouble(matcher.group(2)),
                    Double.parseDouble(matcher.group(3)), Double.parseDouble(matcher.group(4))});
        }
        return rects;
    }

    private static int count(String text, String part) {
        return text.split(Pattern.quote(part), -1).length - 1;
    }

    private static Document parse(String svg) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        return factory.newDocumentBuilder().parse(new InputSource(new StringReader(svg)));
    }
}
