//! Graph algorithms over dense `u32` vertices given by a successor function: strongly
//! connected components (Tarjan's algorithm, iterative so that long chains cannot overflow the
//! stack).

/// The nontrivial strongly connected components (more than one vertex, or one with a
/// self-edge) of the graph on `0..n` whose successors are `out(v)`.
pub fn sccs<I, F>(n: usize, out: F) -> Vec<Vec<u32>>
where
    I: Iterator<Item = u32>,
    F: Fn(u32) -> I,
{
    const UNSEEN: u32 = u32::MAX;
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0u32; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<u32> = Vec::new();
    let mut next_index = 0u32;
    let mut found = Vec::new();
    for root in 0..n as u32 {
        if index.get(root as usize) != Some(&UNSEEN) {
            continue;
        }
        // Each frame: a vertex and the iterator over its remaining successors.
        let mut frames: Vec<(u32, I)> = Vec::new();
        let visit = |v: u32, index: &mut [u32], low: &mut [u32], next: &mut u32| {
            if let (Some(i), Some(l)) = (index.get_mut(v as usize), low.get_mut(v as usize)) {
                *i = *next;
                *l = *next;
            }
            *next += 1;
        };
        visit(root, &mut index, &mut low, &mut next_index);
        stack.push(root);
        set(&mut on_stack, root, true);
        frames.push((root, out(root)));
        while let Some((v, succ)) = frames.last_mut() {
            let v = *v;
            if let Some(w) = succ.next() {
                let wi = get(&index, w);
                if wi == UNSEEN {
                    visit(w, &mut index, &mut low, &mut next_index);
                    stack.push(w);
                    set(&mut on_stack, w, true);
                    frames.push((w, out(w)));
                } else if on_stack.get(w as usize) == Some(&true) {
                    let l = get(&low, v).min(wi);
                    set(&mut low, v, l);
                }
                continue;
            }
            frames.pop();
            if let Some((parent, _)) = frames.last() {
                let l = get(&low, *parent).min(get(&low, v));
                set(&mut low, *parent, l);
            }
            if get(&low, v) == get(&index, v) {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    set(&mut on_stack, w, false);
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 || out(v).any(|w| w == v) {
                    found.push(component);
                }
            }
        }
    }
    found
}

fn get<T: Copy + Default>(xs: &[T], i: u32) -> T {
    xs.get(i as usize).copied().unwrap_or_default()
}

fn set<T>(xs: &mut [T], i: u32, value: T) {
    if let Some(x) = xs.get_mut(i as usize) {
        *x = value;
    }
}
