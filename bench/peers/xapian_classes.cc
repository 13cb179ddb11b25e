// xapian_classes: the query classes the harness's Xapian peer does not
// run (every word required, and phrases), timed the way that peer times
// its plain queries, on the index it builds (../shared/bench/peers).
//
//   xapian_classes and|phrase INDEXDIR QUERIES.tsv K PASSES LATENCY_OUT
//
// A query's text is reduced as the peer reduces it (letters and digits
// kept, ASCII lower-cased) and read by Xapian's QueryParser with the
// peer's settings (English stemmer, STEM_SOME, the peer's BM25
// parameters), with OP_AND as the default operator for "and", and the
// words in double quotes for "phrase". get_mset(0, K) asks for no count
// beyond what Xapian estimates. Only the last pass is written: qid,
// microseconds around parse + get_mset + reading the K ids, hits.
#include <xapian.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct query {
	std::string id, text;
};

std::string words(const std::string &q)
{
	std::string out;
	bool gap = false;

	for (unsigned char c : q) {
		bool w = c >= 0x80 || (c >= '0' && c <= '9') ||
			 (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
		if (!w) {
			gap = !out.empty();
			continue;
		}
		if (gap)
			out += ' ';
		gap = false;
		out += (c >= 'A' && c <= 'Z') ? char(c + 32) : char(c);
	}
	return out;
}

double now_us()
{
	using namespace std::chrono;
	return duration<double, std::micro>(
		       steady_clock::now().time_since_epoch()).count();
}

} // namespace

int main(int argc, char **argv)
{
	if (argc != 7 || (strcmp(argv[1], "and") && strcmp(argv[1], "phrase"))) {
		fprintf(stderr, "usage: xapian_classes and|phrase INDEXDIR "
				"QUERIES.tsv K PASSES LATENCY_OUT\n");
		return 2;
	}
	bool phrase = strcmp(argv[1], "phrase") == 0;
	int k = atoi(argv[4]), passes = atoi(argv[5]);
	if (k < 1 || passes < 1) {
		fprintf(stderr, "xapian_classes: bad K or PASSES\n");
		return 2;
	}
	FILE *in = fopen(argv[3], "r");
	if (!in) {
		perror(argv[3]);
		return 1;
	}
	std::vector<query> qs;
	char *line = nullptr;
	size_t cap = 0;
	ssize_t len;
	while ((len = getline(&line, &cap, in)) > 0) {
		std::string l(line, size_t(len));
		while (!l.empty() && (l.back() == '\n' || l.back() == '\r'))
			l.pop_back();
		size_t tab = l.find('\t');
		if (tab != std::string::npos && tab > 0)
			qs.push_back({ l.substr(0, tab), l.substr(tab + 1) });
	}
	free(line);
	fclose(in);

	try {
		Xapian::Database db(argv[2]);
		Xapian::Enquire enq(db);
		double k1 = 1, b = 0.5;
		if (getenv("XAPIAN_BM25_K1"))
			k1 = atof(getenv("XAPIAN_BM25_K1"));
		if (getenv("XAPIAN_BM25_B"))
			b = atof(getenv("XAPIAN_BM25_B"));
		enq.set_weighting_scheme(Xapian::BM25Weight(k1, 0, 1, b, 0.5));
		Xapian::QueryParser qp;
		qp.set_stemmer(Xapian::Stem("english"));
		qp.set_stemming_strategy(Xapian::QueryParser::STEM_SOME);
		qp.set_database(db);
		qp.set_default_op(phrase ? Xapian::Query::OP_OR :
					   Xapian::Query::OP_AND);
		std::vector<double> us(qs.size());
		std::vector<int> got(qs.size());
		for (int pass = 0; pass < passes; pass++) {
			for (size_t i = 0; i < qs.size(); i++) {
				double t0 = now_us();
				std::string w = words(qs[i].text);
				int n = 0;
				if (!w.empty()) {
					if (phrase)
						w = "\"" + w + "\"";
					enq.set_query(qp.parse_query(w));
					Xapian::MSet ms = enq.get_mset(0, k);
					for (auto it = ms.begin(); it != ms.end(); ++it)
						n += !it.get_document().get_data().empty();
				}
				us[i] = now_us() - t0;
				got[i] = n;
			}
		}
		FILE *out = fopen(argv[6], "w");
		if (!out) {
			perror(argv[6]);
			return 1;
		}
		for (size_t i = 0; i < qs.size(); i++)
			fprintf(out, "%s\t%.1f\t%d\n", qs[i].id.c_str(), us[i], got[i]);
		fclose(out);
	} catch (const Xapian::Error &e) {
		fprintf(stderr, "xapian_classes: %s\n", e.get_description().c_str());
		return 1;
	}
	return 0;
}
