'use strict';
// A worker's tablet and a design document an admin shared
// (_design/shared-*): it replicates with `filter: 'shared-forms/households'`
// and `filter: '_view'`, and asks the shared view with query(); each answer
// holds the worker's own grids only. Payload: {remote: url with the worker's
// credentials}. Prints the ids each replication brought and the query rows.
const {local, remote, main, summary} = require('./_common');

main(async ({remote: url}) => {
  const server = remote(url);
  const byFilter = local('filter');
  const filterRun = await byFilter.replicate.from(server, {filter: 'shared-forms/households'});
  const byView = local('view');
  const viewRun = await byView.replicate.from(server,
    {filter: '_view', view: 'shared-forms/households_view'});
  const ids = async (db) => (await db.allDocs()).rows.map((row) => row.id);
  const counted = await server.query('shared-forms/by_type', {group: true});
  const listed = await server.query('shared-forms/by_type', {reduce: false});
  let refused = null;
  try {
    const ddoc = await server.get('_design/shared-forms');
    ddoc.filters = {};
    await server.put(ddoc);
  } catch (err) {
    refused = err.status;
  }
  return {
    by_filter: await ids(byFilter), filter_run: summary(filterRun),
    by_view: await ids(byView), view_run: summary(viewRun),
    counted: counted.rows, listed: listed.rows.map((row) => row.id),
    total_rows: listed.total_rows, refused,
  };
});
