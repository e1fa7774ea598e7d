package io.linesight.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.linesight.common.Topic;
import io.linesight.localstack.Credentials;
import io.linesight.localstack.ImageSamples;
import io.linesight.localstack.LineSightSystem;
import io.linesight.proto.Label;
import io.linesight.proto.LabelDeserializer;
import io.linesight.testsupport.InfraResource;
import io.linesight.testsupport.TopicReader;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.TimeoutException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The operator review page in Debian's headless Chromium against the running services: log-in, keyboard
 * labelling of a blind AUDIT item and of a REVIEW item (each puts the right Label on linesight.labels), undo, and the
 * REVIEW item's heatmap over the frame.
 */
class ReviewPageIT {
    private static final String MODEL = "review";
    private static final Path ARTIFACTS = Path.of("target/e2e-artifacts");
    private static LineSightSystem system;
    private static WebDriver browser;
    private static final Map<String, String> truth = new HashMap<>();

    @BeforeAll
    static void startSystemAndBrowser() throws Exception {
        flushRedis(); // the review queue lives in Redis: start from this test's frames only
        system = Clients.system(MODEL, null);
        for (int i = 0; i < 24; i++) {
            String defect = LineSightSystem.CLASSES.get(i % 3);
            truth.put(Clients.postFrame(system.ingest, "cam-r", ImageSamples.neuImage(defect, 250 + i)).getString("frameId"), defect);
        }
        Clients.predictions(truth.keySet());

        ChromeOptions options = new ChromeOptions().setBinary("/usr/bin/chromium").addArguments("--headless=new",
                "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run", "--window-size=1400,1000",
                "--user-data-dir=" + Files.createTempDirectory("chromium-profile"));
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File("/usr/bin/chromedriver"))
                .usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
    }

    @AfterAll
    static void stop() throws Exception {
        if (browser != null) {
            browser.quit();
        }
        if (system != null) {
            system.close();
        }
    }

    @Test
    void operatorLabelsAuditAndReviewItemsWithTheKeyboardAndCanUndo() throws Exception {
        browser.get(system.ingest.url("/review/"));
        logIn("operator", "not-the-password");
        await(() -> !text("login-error").isEmpty());
        assertTrue(text("login-error").contains("Wrong user or password"), text("login-error"));
        logIn(Credentials.OPERATOR.user(), Credentials.OPERATOR.devPassword());
        await(() -> text("model").contains(MODEL + " v1"));

        boolean auditDone = false;
        boolean reviewDone = false;
        boolean undoDone = false;
        boolean heatmapDone = false;
        for (int round = 0; round < truth.size() && !(auditDone && reviewDone && undoDone); round++) {
            WebElement item = currentItem();
            String frameId = item.getAttribute("data-frame-id");
            String kind = item.getAttribute("data-kind");
            String answer = truth.get(frameId);
            int key = LineSightSystem.CLASSES.indexOf(answer) + 1;
            if ("AUDIT".equals(kind)) {
                assertTrue(browser.findElements(By.cssSelector("#predictions li")).isEmpty(), "AUDIT items are shown blind");
                assertTrue(text("kind").contains("blind"), text("kind"));
                assertFalse(browser.findElement(By.id("heatmap")).isDisplayed(), "AUDIT items are shown without the model's map");
            } else {
                assertEquals(3, browser.findElements(By.cssSelector("#predictions li")).size(), "REVIEW items show the top 3");
                if (!heatmapDone) {
                    assertHeatmapCoversTheImageAndToggles();
                    heatmapDone = true;
                }
            }
            if (round == 0) {
                Files.createDirectories(ARTIFACTS);
                Files.write(ARTIFACTS.resolve("review-page.png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
            }
            if (!undoDone && auditDone && reviewDone) {
                int wrong = key % 3 + 1;
                press(Integer.toString(wrong));
                await(() -> !frameId.equals(currentItemId()));
                press("z");
                await(() -> frameId.equals(currentItemId()));
                Thread.sleep(4000); // past the grace period: the undone label must never be sent
                assertTrue(labels(frameId, Duration.ofSeconds(1)).isEmpty(), "an undone label is not published");
                undoDone = true;
            }
            press(Integer.toString(key));
            Label label = labels(frameId, Duration.ofSeconds(30)).get(0).value();
            assertEquals(answer, label.getLabel());
            assertEquals(kind, label.getSource().name());
            assertEquals("operator", label.getOperatorId());
            auditDone |= "AUDIT".equals(kind);
            reviewDone |= "REVIEW".equals(kind);
            await(() -> !frameId.equals(currentItemId()) || browser.findElement(By.id("empty")).isDisplayed());
        }
        assertTrue(auditDone && reviewDone && undoDone, "audit " + auditDone + ", review " + reviewDone + ", undo " + undoDone);
        Files.write(ARTIFACTS.resolve("review-page-after.png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    }

    /**
     * The served activation map is drawn over the frame: the canvas has the image's box to the pixel, one canvas pixel
     * per cell (scaled up by the browser), each with the alpha its cell asks for (Heatmaps.OPACITY, as on the page);
     * h hides it and shows it again.
     */
    @SuppressWarnings("unchecked")
    private void assertHeatmapCoversTheImageAndToggles() {
        await(() -> browser.findElement(By.id("heatmap")).isDisplayed());
        Map<String, Object> drawn = (Map<String, Object>) ((JavascriptExecutor) browser).executeScript("""
                const image = document.getElementById('frame-image').getBoundingClientRect();
                const canvas = document.getElementById('heatmap');
                const box = canvas.getBoundingClientRect();
                const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
                return { map: state.current.heatmap, canvasWidth: canvas.width, canvasHeight: canvas.height,
                  alpha: Array.from(pixels).filter((value, i) => i % 4 === 3), imageWidth: image.width,
                  offsets: [box.left - image.left, box.top - image.top, box.width - image.width, box.height - image.height] };""");
        Map<String, Object> map = (Map<String, Object>) drawn.get("map");
        List<Long> cells = (List<Long>) map.get("cells");
        List<Long> alpha = (List<Long>) drawn.get("alpha");
        assertEquals(map.get("width"), map.get("height"), "the model saw a square: " + map);
        assertEquals(map.get("width"), drawn.get("canvasWidth"));
        assertEquals(map.get("height"), drawn.get("canvasHeight"));
        assertEquals(cells.size(), alpha.size());
        long peak = cells.stream().mapToLong(Long::longValue).max().orElseThrow();
        assertTrue(peak == 255 || peak == 0, "the peak cell is at 255 (0 when no cell is positive): " + cells);
        for (int i = 0; i < cells.size(); i++) {
            assertEquals(Math.round(cells.get(i) * 0.6), alpha.get(i), 1, "cell " + i + " of " + cells);
        }
        assertTrue(((Number) drawn.get("imageWidth")).doubleValue() > 100, "the frame is shown large: " + drawn.get("imageWidth"));
        for (Object offset : (List<Object>) drawn.get("offsets")) {
            assertEquals(0, ((Number) offset).doubleValue(), 1, "the map's box is the image's box: " + drawn.get("offsets"));
        }
        press("h");
        await(() -> !browser.findElement(By.id("heatmap")).isDisplayed());
        press("h");
        await(() -> browser.findElement(By.id("heatmap")).isDisplayed());
    }

    private void logIn(String user, String password) {
        WebElement userField = browser.findElement(By.id("user"));
        userField.clear();
        userField.sendKeys(user);
        WebElement passwordField = browser.findElement(By.id("password"));
        passwordField.clear();
        passwordField.sendKeys(password);
        browser.findElement(By.cssSelector("#login-form button")).click();
    }

    private WebElement currentItem() {
        await(() -> {
            String id = currentItemId();
            Object loaded = ((JavascriptExecutor) browser).executeScript(
                    "const img = document.getElementById('frame-image'); return img.complete && img.naturalWidth > 0;");
            return id != null && truth.containsKey(id) && Boolean.TRUE.equals(loaded);
        });
        return browser.findElement(By.id("item"));
    }

    private String currentItemId() {
        WebElement item = browser.findElement(By.id("item"));
        return item.isDisplayed() ? item.getAttribute("data-frame-id") : null;
    }

    private void press(String key) {
        browser.findElement(By.tagName("body")).sendKeys(key);
    }

    private String text(String id) {
        return browser.findElement(By.id(id)).getText();
    }

    private static void await(BooleanSupplier condition) {
        try {
            new WebDriverWait(browser, Duration.ofSeconds(90)).until(driver -> condition.getAsBoolean());
        } catch (TimeoutException e) {
            try {
                Files.createDirectories(ARTIFACTS);
                Files.write(ARTIFACTS.resolve("review-page-timeout.png"), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
            } catch (IOException ignored) {
                // the page text below still tells what was shown
            }
            throw new AssertionError("the page did not get there in 90 s; it shows: "
                    + browser.findElement(By.tagName("body")).getText().replace('\n', ' '), e);
        }
    }

    private static List<ConsumerRecord<String, Label>> labels(String frameId, Duration wait) {
        return TopicReader.await(Topic.LABELS.topicName(), new LabelDeserializer(), r -> r.key().equals(frameId), 1, wait);
    }

    private static void flushRedis() throws Exception {
        URI redis = URI.create(InfraResource.addresses().redisHosts());
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(redis.getHost(), redis.getPort()), 2000);
            socket.getOutputStream().write("FLUSHALL\r\n".getBytes(StandardCharsets.US_ASCII));
            socket.getInputStream().read();
        }
    }
}
