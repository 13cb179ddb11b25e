// LuceneClasses: the query classes the harness's Lucene peer does not run
// (every word required, and phrases), timed the way that peer times its
// plain queries, on the index it builds (../shared/bench/peers).
//
//   java -cp CLASSES:LUCENE_JARS LuceneClasses MODE INDEXDIR QUERIES.tsv \
//       K PASSES LATENCY_OUT
//
// MODE is "and" (the query's words, each one required) or "phrase" (the
// query's words as one quoted phrase). A query's text is reduced as the
// peer reduces it (letters and digits kept, ASCII lower-cased), then read
// by the classic QueryParser on the field "text" with the peer's analyzer
// (EnglishAnalyzer), so the terms are the ones it indexed. Scoring is
// BM25 (1.2, 0.75). One pass after another over the whole file; only the
// last is written: qid, microseconds around parse + search + reading the
// K stored ids, the hits returned and Lucene's total hit count (which
// Lucene 4.10 computes for every search).
import java.io.File;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Set;

import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.queryparser.classic.QueryParser;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.similarities.BM25Similarity;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.Version;

public class LuceneClasses {
    // Letters and digits (and anything past ASCII) kept, the rest a space.
    static String words(String q) {
        StringBuilder out = new StringBuilder();
        boolean gap = false;
        for (char c : q.toCharArray()) {
            boolean word = c >= 0x80 || (c >= '0' && c <= '9')
                    || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
            if (!word) {
                gap = out.length() > 0;
                continue;
            }
            if (gap)
                out.append(' ');
            gap = false;
            out.append(c >= 'A' && c <= 'Z' ? (char) (c + 32) : c);
        }
        return out.toString();
    }

    public static void main(String[] a) throws Exception {
        if (a.length != 6 || !(a[0].equals("and") || a[0].equals("phrase"))) {
            System.err.println("usage: LuceneClasses and|phrase INDEXDIR QUERIES.tsv K PASSES LATENCY_OUT");
            System.exit(2);
        }
        boolean phrase = a[0].equals("phrase");
        int k = Integer.parseInt(a[3]), passes = Integer.parseInt(a[4]);
        List<String> qid = new ArrayList<>(), text = new ArrayList<>();
        for (String line : Files.readAllLines(Paths.get(a[2]), StandardCharsets.UTF_8)) {
            int tab = line.indexOf('\t');
            if (tab > 0) {
                qid.add(line.substring(0, tab));
                text.add(line.substring(tab + 1));
            }
        }
        int n = qid.size();
        FSDirectory dir = FSDirectory.open(new File(a[1]));
        DirectoryReader reader = DirectoryReader.open(dir);
        IndexSearcher searcher = new IndexSearcher(reader);
        searcher.setSimilarity(new BM25Similarity(1.2f, 0.75f));
        QueryParser qp = new QueryParser(Version.LUCENE_4_10_4, "text",
                new EnglishAnalyzer(Version.LUCENE_4_10_4));
        qp.setDefaultOperator(phrase ? QueryParser.Operator.OR : QueryParser.Operator.AND);
        Set<String> idField = Collections.singleton("id");
        double[] us = new double[n];
        int[] got = new int[n], total = new int[n];
        for (int pass = 0; pass < passes; pass++) {
            for (int i = 0; i < n; i++) {
                long t0 = System.nanoTime();
                String w = words(text.get(i));
                int hits = 0, all = 0;
                if (!w.isEmpty()) {
                    String q = QueryParser.escape(w);
                    Query query = qp.parse(phrase ? "\"" + q + "\"" : q);
                    TopDocs top = searcher.search(query, k);
                    for (ScoreDoc sd : top.scoreDocs) {
                        if (searcher.doc(sd.doc, idField).get("id") != null)
                            hits++;
                    }
                    all = top.totalHits;
                }
                us[i] = (System.nanoTime() - t0) / 1e3;
                got[i] = hits;
                total[i] = all;
            }
        }
        try (PrintWriter out = new PrintWriter(Files.newBufferedWriter(Paths.get(a[5]), StandardCharsets.UTF_8))) {
            for (int i = 0; i < n; i++)
                out.printf(Locale.ROOT, "%s\t%.1f\t%d\t%d%n", qid.get(i), us[i], got[i], total[i]);
        }
        reader.close();
        dir.close();
    }
}
