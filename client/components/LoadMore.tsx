/** The button under a cursor-paged list, shown while the server says more remain. */
export function LoadMore({
  list,
}: {
  list: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => Promise<unknown> }
}) {
  if (!list.hasNextPage) return null
  return (
    <div className="load-more">
      <button
        type="button"
        className="button"
        onClick={() => void list.fetchNextPage()}
        disabled={list.isFetchingNextPage}
      >
        Load more
      </button>
    </div>
  )
}
