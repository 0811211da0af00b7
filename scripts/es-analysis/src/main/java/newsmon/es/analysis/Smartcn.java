package newsmon.es.analysis;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.StopFilter;
import org.apache.lucene.analysis.cn.smart.HMMChineseTokenizer;
import org.apache.lucene.analysis.cn.smart.SmartChineseAnalyzer;
import org.elasticsearch.index.analysis.AnalyzerProvider;
import org.elasticsearch.index.analysis.Analysis;
import org.elasticsearch.index.analysis.TokenFilterFactory;
import org.elasticsearch.index.analysis.TokenizerFactory;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;

import java.util.Map;

/**
 * Chinese, as Elastic's analysis-smartcn plugin registers it: the {@code smartcn} analyzer (Lucene's
 * SmartChineseAnalyzer: HMM word segmentation with its bundled dictionary, punctuation dropped,
 * Porter stemming of Latin words; no settings), the {@code smartcn_tokenizer} and the {@code smartcn_stop}
 * filter ({@code stopwords}, default {@code _smartcn_}: the analyzer's own punctuation list).
 */
final class Smartcn {
    private Smartcn() {}

    static void analyzers(Map<String, AnalysisProvider<AnalyzerProvider<? extends Analyzer>>> out) {
        // As Elastic's: no settings; its stop set is the analyzer's punctuation list.
        out.put("smartcn", (indexSettings, env, name, settings) -> Factories.analyzer(name, settings, new SmartChineseAnalyzer()));
    }

    static void tokenizers(Map<String, AnalysisProvider<TokenizerFactory>> out) {
        out.put("smartcn_tokenizer", (indexSettings, env, name, settings) -> TokenizerFactory.newFactory(name, HMMChineseTokenizer::new));
    }

    static void filters(Map<String, AnalysisProvider<TokenFilterFactory>> out) {
        out.put("smartcn_stop", (indexSettings, env, name, settings) -> {
            CharArraySet stop = Analysis.parseWords(
                env, settings, "stopwords", SmartChineseAnalyzer.getDefaultStopSet(),
                Map.of("_smartcn_", SmartChineseAnalyzer.getDefaultStopSet()), settings.getAsBoolean("ignore_case", false)
            );
            return new Factories.Plain(name, settings, in -> new StopFilter(in, stop));
        });
    }
}
