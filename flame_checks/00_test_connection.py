"""FLAME health check: a one-round star analysis that proves each node can run code and reach the aggregator.

Every analyzer (default node) reports its own node id with the status "ok". The aggregator collects those
reports, adds its own id, and returns one JSON text that lands in the analysis RESULT bucket:

    {"overall_success": true, "node_results": {"<node id>": "ok", ...}, "nodes_responded": 2,
     "timestamp": 1767225600.0}

The health check downloads that file and requires both ids of the tested pair to map to "ok".
"""

import json
import time

from flame.star import StarAggregator, StarAnalyzer, StarModel


class ConnectionAnalyzer(StarAnalyzer):
    def analysis_method(self, data, aggregator_results):
        # The data is None (no query), so the report only proves that the node ran this code.
        return {'success': True, 'node_id': str(self.flame.get_id()), 'status': 'ok'}


class ConnectionAggregator(StarAggregator):
    def aggregation_method(self, analysis_results):
        node_results = {}
        for report in analysis_results:
            status = report.get('status', 'missing') if report.get('success') else 'failed'
            node_results[str(report.get('node_id'))] = status

        # get_aggregator_id() is None on the aggregator itself, so its own id comes from get_id().
        node_results[str(self.flame.get_id())] = 'ok'
        assert node_results, 'no node reported a result'

        payload = {
            'overall_success': all(status == 'ok' for status in node_results.values()),
            'node_results': node_results,
            'nodes_responded': len(node_results),
            'timestamp': time.time(),
        }
        self.flame.flame_log(f'{len(node_results)} nodes responded', log_type='info')
        return json.dumps(payload)

    def has_converged(self, result, last_result, num_iterations=None):
        return True


def main():
    StarModel(
        analyzer=ConnectionAnalyzer,
        aggregator=ConnectionAggregator,
        data_type='none',
        output_type='str',
    )


if __name__ == '__main__':
    main()
