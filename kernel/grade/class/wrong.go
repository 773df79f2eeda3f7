package class

// Wrong is a known-wrong answer to an assignment: the reference solution with
// one solution cell replaced by a mistake students make.
type Wrong struct {
	Name   string // what is wrong, usable as a file name: "two-atomics"
	Cell   string // id of the solution cell it replaces
	Source string // the wrong answer
	Score  float64
	// Says maps the grade_id of each test cell it must fail to words its
	// reason must contain, so the feedback says what is wrong.
	Says map[string]string
}

// KnownWrong lists known-wrong answers by assignment file name.
var KnownWrong = map[string][]Wrong{
	"01-race-counter.ipynb": {
		{
			Name: "racy-copy", Cell: "bank", Score: 1,
			Says: map[string]string{"test_invariant": "never in that state", "test_race_free": "DataRace"},
			Source: `type Bank struct {
	checking, savings int
}

func NewBank(checking, savings int) *Bank { return &Bank{checking: checking, savings: savings} }

func (b *Bank) Transfer(amount int) error {
	from, to := &b.checking, &b.savings
	if amount < 0 {
		from, to, amount = to, from, -amount
	}
	if *from < amount {
		return ErrInsufficientFunds
	}
	*from -= amount
	*to += amount
	return nil
}

func (b *Bank) Balances() (checking, savings int) { return b.checking, b.savings }`,
		},
		{
			// No data race, still a race condition: the race detector is happy.
			Name: "two-atomics", Cell: "bank", Score: 3,
			Says: map[string]string{"test_invariant": "never in that state"},
			Source: `type Bank struct {
	checking, savings atomic.Int64
}

func NewBank(checking, savings int) *Bank {
	b := &Bank{}
	b.checking.Store(int64(checking))
	b.savings.Store(int64(savings))
	return b
}

func (b *Bank) Transfer(amount int) error {
	from, to := &b.checking, &b.savings
	if amount < 0 {
		from, to, amount = to, from, -amount
	}
	if from.Load() < int64(amount) {
		return ErrInsufficientFunds
	}
	from.Add(-int64(amount))
	to.Add(int64(amount))
	return nil
}

func (b *Bank) Balances() (checking, savings int) {
	return int(b.checking.Load()), int(b.savings.Load())
}`,
		},
		{
			Name: "mutex-per-field", Cell: "bank", Score: 3,
			Says: map[string]string{"test_invariant": "never in that state"},
			Source: `type Bank struct {
	checkingMu, savingsMu sync.Mutex
	checking, savings     int
}

func NewBank(checking, savings int) *Bank { return &Bank{checking: checking, savings: savings} }

func (b *Bank) Transfer(amount int) error {
	fromMu, toMu, from, to := &b.checkingMu, &b.savingsMu, &b.checking, &b.savings
	if amount < 0 {
		fromMu, toMu, from, to, amount = toMu, fromMu, to, from, -amount
	}
	fromMu.Lock()
	if *from < amount {
		fromMu.Unlock()
		return ErrInsufficientFunds
	}
	*from -= amount
	fromMu.Unlock()
	toMu.Lock()
	*to += amount
	toMu.Unlock()
	return nil
}

func (b *Bank) Balances() (checking, savings int) {
	b.checkingMu.Lock()
	c := b.checking
	b.checkingMu.Unlock()
	b.savingsMu.Lock()
	defer b.savingsMu.Unlock()
	return c, b.savings
}`,
		},
		{
			// Every access is locked, but the check and the move are two
			// critical sections: two transfers can both pass the check.
			Name: "check-then-act", Cell: "bank", Score: 3,
			Says: map[string]string{"test_invariant": "never in that state"},
			Source: `type Bank struct {
	mu                sync.Mutex
	checking, savings int
}

func NewBank(checking, savings int) *Bank { return &Bank{checking: checking, savings: savings} }

func (b *Bank) Transfer(amount int) error {
	c, s := b.Balances()
	if (amount >= 0 && c < amount) || (amount < 0 && s < -amount) {
		return ErrInsufficientFunds
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.checking -= amount
	b.savings += amount
	return nil
}

func (b *Bank) Balances() (checking, savings int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.checking, b.savings
}`,
		},
		{
			Name: "unlocked-reads", Cell: "bank", Score: 1,
			Says: map[string]string{"test_race_free": "DataRace"},
			Source: `type Bank struct {
	mu                sync.Mutex
	checking, savings int
}

func NewBank(checking, savings int) *Bank { return &Bank{checking: checking, savings: savings} }

func (b *Bank) Transfer(amount int) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	from, to := &b.checking, &b.savings
	if amount < 0 {
		from, to, amount = to, from, -amount
	}
	if *from < amount {
		return ErrInsufficientFunds
	}
	*from -= amount
	*to += amount
	return nil
}

// Reading needs no lock, or so the student thought.
func (b *Bank) Balances() (checking, savings int) { return b.checking, b.savings }`,
		},
		{
			// sync.Mutex is not reentrant: Transfer deadlocks on its own lock.
			Name: "relocks-in-transfer", Cell: "bank", Score: 0,
			Says: map[string]string{"test_one_goroutine": "Deadlock", "test_invariant": "Deadlock"},
			Source: `type Bank struct {
	mu                sync.Mutex
	checking, savings int
}

func NewBank(checking, savings int) *Bank { return &Bank{checking: checking, savings: savings} }

func (b *Bank) Transfer(amount int) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, s := b.Balances()
	if (amount >= 0 && c < amount) || (amount < 0 && s < -amount) {
		return ErrInsufficientFunds
	}
	b.checking -= amount
	b.savings += amount
	return nil
}

func (b *Bank) Balances() (checking, savings int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.checking, b.savings
}`,
		},
	},
	"02-worker-pool.ipynb": {
		{
			Name: "one-at-a-time", Cell: "pool", Score: 3,
			Says: map[string]string{"test_concurrent_no_leak": "at the same time"},
			Source: `func Pool(jobs []Job, workers int, work func(Job) Result) []Result {
	out := make([]Result, 0, len(jobs))
	for _, j := range jobs {
		out = append(out, work(j))
	}
	return out
}`,
		},
		{
			// The queue is never closed, so the workers wait on it forever.
			Name: "workers-left-behind", Cell: "pool", Score: 3,
			Says: map[string]string{"test_concurrent_no_leak": "goroutines still running"},
			Source: `func Pool(jobs []Job, workers int, work func(Job) Result) []Result {
	queue := make(chan Job)
	results := make(chan Result)
	for range workers {
		go func() {
			for job := range queue {
				results <- work(job)
			}
		}()
	}
	go func() {
		for _, j := range jobs {
			queue <- j
		}
	}()
	out := make([]Result, 0, len(jobs))
	for range jobs {
		out = append(out, <-results)
	}
	return out
}`,
		},
	},
	"03-processes-queue.ipynb": {
		{
			// Goroutines instead of child processes: right values, wrong place.
			Name: "goroutines-not-processes", Cell: "producer_consumer", Score: 3,
			Says: map[string]string{"test_in_child_processes": "in this process"},
			Source: `func produce(q *nb.Queue[Item], from, to int) error {
	for v := from; v < to; v++ {
		if err := q.Put(Item{Value: v, PID: os.Getpid()}); err != nil {
			return err
		}
	}
	return nil
}

func Collect(n, producers int) ([]Item, error) {
	q := nb.NewQueue[Item]()
	defer q.Close()
	for p := range producers {
		go produce(q, p*n/producers, (p+1)*n/producers)
	}
	items := make([]Item, 0, n)
	for range n {
		item, err := q.GetTimeout(10 * time.Second)
		if err != nil {
			return nil, err
		}
		items = append(items, item)
	}
	return items, nil
}`,
		},
	},
	"04-cancel-timeout.ipynb": {
		{
			Name: "recv-without-timeout", Cell: "recv_timeout", Score: 4,
			Says: map[string]string{"test_recv_timeout": "Deadlock"},
			Source: `func RecvTimeout(ch <-chan int, d time.Duration) (int, error) {
	v, ok := <-ch
	if !ok {
		return 0, ErrClosed
	}
	return v, nil
}`,
		},
		{
			Name: "recv-sleeps-first", Cell: "recv_timeout", Score: 4,
			Says: map[string]string{"test_recv_timeout": "as soon as the value arrives"},
			Source: `func RecvTimeout(ch <-chan int, d time.Duration) (int, error) {
	time.Sleep(d)
	select {
	case v, ok := <-ch:
		if !ok {
			return 0, ErrClosed
		}
		return v, nil
	default:
		return 0, ErrTimeout
	}
}`,
		},
		{
			Name: "squares-ignores-ctx", Cell: "squares", Score: 3,
			Says: map[string]string{"test_squares": "did not close its output"},
			Source: `func Squares(ctx context.Context, in <-chan int) <-chan int {
	out := make(chan int)
	go func() {
		defer close(out)
		for v := range in {
			out <- v * v
		}
	}()
	return out
}`,
		},
		{
			// Watches ctx while receiving but not while sending.
			Name: "squares-blocks-sending", Cell: "squares", Score: 3,
			Says: map[string]string{"test_squares": "goroutines still running"},
			Source: `func Squares(ctx context.Context, in <-chan int) <-chan int {
	out := make(chan int)
	go func() {
		defer close(out)
		for {
			select {
			case <-ctx.Done():
				return
			case v, ok := <-in:
				if !ok {
					return
				}
				out <- v * v
			}
		}
	}()
	return out
}`,
		},
		{
			Name: "first-waits-for-all", Cell: "first", Score: 3,
			Says: map[string]string{"test_first": "fastest"},
			Source: `func First(ctx context.Context, key string, replicas ...Lookup) (string, error) {
	var wg sync.WaitGroup
	values := make([]string, len(replicas))
	errs := make([]error, len(replicas))
	for i, lookup := range replicas {
		wg.Go(func() { values[i], errs[i] = lookup(ctx, key) })
	}
	wg.Wait()
	for i := range replicas {
		if errs[i] == nil {
			return values[i], nil
		}
	}
	return "", errs[0]
}`,
		},
		{
			Name: "first-never-cancels", Cell: "first", Score: 3,
			Says: map[string]string{"test_first": "0 of 2 slower lookups were cancelled"},
			Source: `func First(ctx context.Context, key string, replicas ...Lookup) (string, error) {
	type answer struct {
		value string
		err   error
	}
	answers := make(chan answer, len(replicas))
	for _, lookup := range replicas {
		go func() {
			v, err := lookup(ctx, key)
			answers <- answer{v, err}
		}()
	}
	var err error
	for range replicas {
		a := <-answers
		if a.err == nil {
			return a.value, nil
		}
		err = a.err
	}
	return "", err
}`,
		},
		{
			// Cancels, but the losers' sends on an unbuffered channel block forever.
			Name: "first-unbuffered-answers", Cell: "first", Score: 3,
			Says: map[string]string{"test_first": "goroutines are still running"},
			Source: `func First(ctx context.Context, key string, replicas ...Lookup) (string, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type answer struct {
		value string
		err   error
	}
	answers := make(chan answer)
	for _, lookup := range replicas {
		go func() {
			v, err := lookup(ctx, key)
			answers <- answer{v, err}
		}()
	}
	var err error
	for range replicas {
		select {
		case a := <-answers:
			if a.err == nil {
				return a.value, nil
			}
			err = a.err
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
	return "", err
}`,
		},
		{
			Name: "first-ignores-deadline", Cell: "first", Score: 3,
			Says: map[string]string{"test_first": "DeadlineExceeded"},
			Source: `func First(ctx context.Context, key string, replicas ...Lookup) (string, error) {
	inner, cancel := context.WithCancel(context.Background())
	defer cancel()
	type answer struct {
		value string
		err   error
	}
	answers := make(chan answer, len(replicas))
	for _, lookup := range replicas {
		go func() {
			v, err := lookup(inner, key)
			answers <- answer{v, err}
		}()
	}
	var err error
	for range replicas {
		a := <-answers
		if a.err == nil {
			return a.value, nil
		}
		err = a.err
	}
	return "", err
}`,
		},
	},
}
